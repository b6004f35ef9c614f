"""Deterministic synthetic helpdesk data: `python -m local.seed --help`, or seed_tenant / write_import_file (the
same rows as an import file of the bulk path, local/seed/import_files.py) / prepare_demo_imports.

Same spec and seed (and the same end instant) give byte-identical rows: every value is derived from
hashes of (tenant, row number), generated in set-based SQL inside PostgreSQL.
"""

from local.seed.demo import demo_specs, load_demo_imports, prepare_demo_imports
from local.seed.generator import BrokenReference, RowIdsTaken, TenantExists, delete_tenant, seed_tenant
from local.seed.import_files import SeedImport, write_import_file
from local.seed.spec import TenantSpec

__all__ = [
    "BrokenReference",
    "RowIdsTaken",
    "SeedImport",
    "TenantExists",
    "TenantSpec",
    "delete_tenant",
    "demo_specs",
    "load_demo_imports",
    "prepare_demo_imports",
    "seed_tenant",
    "write_import_file",
]
