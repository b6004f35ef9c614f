"""The authorizer's side of API keys: which key (if any) an X-API-Key header names.

The lookup goes through aurion_authenticate_api_key (migration 0008), a SECURITY DEFINER function that
answers for one hash only: the app role never sees keys of other tenants, and a key of a tenant whose access
is off, or a revoked key, finds nothing. Only requests that carry X-API-Key (and no session) touch the
database; session requests keep the authorizer database-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from aurion.api_keys.keys import hash_key, looks_like_key
from aurion.db import get_database

LOOKUP_SQL = "SELECT key_id::text, tenant_id::text, role FROM aurion_authenticate_api_key(:key_hash)"


@dataclass(frozen=True)
class ApiKeyIdentity:
    key_id: str
    tenant_id: str
    role: str

    @property
    def user_id(self) -> str:
        # Where a route records "who" (the audit log, the per-user search limit), a key is its own actor.
        return f"api_key:{self.key_id}"


def find_api_key(key: str) -> ApiKeyIdentity | None:
    """The live key `key` names, or None (unknown, revoked, or its tenant has API-key access off)."""
    if not looks_like_key(key):
        return None
    with get_database().transaction(None) as tx:
        row = tx.one(LOOKUP_SQL, key_hash=hash_key(key))
    if row is None:
        return None
    return ApiKeyIdentity(key_id=row["key_id"], tenant_id=row["tenant_id"], role=row["role"])
