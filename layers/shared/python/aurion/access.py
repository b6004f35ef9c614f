"""Every data route goes through here: role guard, tenant transaction, plan gate."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aurion.auth.caller import Caller
from aurion.auth.roles import ANALYTICS_PLANS, READ_ROLES
from aurion.db import Transaction, get_database
from aurion.errors import Forbidden


@dataclass(frozen=True)
class Tenant:
    id: str
    slug: str
    plan: str
    products: frozenset[str]


@dataclass(frozen=True)
class Scope:
    """What a route works with: the caller, their tenant, and a transaction that sees only that tenant."""

    caller: Caller
    tenant: Tenant
    tx: Transaction


@contextmanager
def tenant_scope(caller: Caller, roles: Iterable[str] = READ_ROLES) -> Iterator[Scope]:
    caller.require(roles)
    with get_database().transaction(caller.tenant_id) as tx:
        row = tx.one(
            "SELECT id::text, slug, plan, products FROM tenants WHERE id = CAST(:id AS uuid)", id=caller.tenant_id
        )
        if row is None:
            raise Forbidden("Unknown tenant")
        if row["plan"] not in ANALYTICS_PLANS:
            raise Forbidden("Analytics requires the Professional plan or higher")
        tenant = Tenant(id=row["id"], slug=row["slug"], plan=row["plan"], products=frozenset(row["products"]))
        yield Scope(caller=caller, tenant=tenant, tx=tx)
