"""Deterministic synthetic helpdesk data: `python -m local.seed --help`, or seed_tenant / ensure_demo_tenants.

Same spec and seed (and the same end instant) give byte-identical rows: every value is derived from
hashes of (tenant, row number), generated in set-based SQL inside PostgreSQL.
"""

from local.seed.demo import demo_specs, ensure_demo_tenants
from local.seed.generator import BrokenReference, RowIdsTaken, TenantExists, delete_tenant, seed_tenant
from local.seed.spec import TenantSpec

__all__ = [
    "BrokenReference",
    "RowIdsTaken",
    "TenantExists",
    "TenantSpec",
    "delete_tenant",
    "demo_specs",
    "ensure_demo_tenants",
    "seed_tenant",
]
