"""The admin-only API-key routes: switch the tenant's access on and off, create, list and revoke keys.

- Access is off by default (tenants.api_keys_enabled). While it is off, no key of the tenant authenticates and
  no key can be created; listing and revoking still work, so an admin can clean up before (or after) turning
  it on. Turning it off and on again revives the keys that were not revoked.
- A key is created with its name, read-only role and visible prefix; only its SHA-256 digest is stored, and the
  full key is in the create response alone (with Cache-Control: no-store).
- Revoking is permanent and idempotent: a second DELETE answers 204 and keeps the first revocation time.
- Another tenant's key, like an id that is not a uuid, is 404: no existence oracle.
- Every change is in the audit log, with the key's id as its target (never the key).
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from aurion import audit
from aurion.access import Scope, tenant_scope
from aurion.api_keys.keys import mint_key
from aurion.auth.caller import Caller
from aurion.auth.roles import EXPORT_ROLES
from aurion.errors import Conflict, NotFound
from aurion.models.api_keys import (
    ApiKey,
    ApiKeyAccess,
    ApiKeyAccessUpdate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyProblem,
)
from aurion.timefmt import iso_z

# The roles that manage API keys: the admin roles, the same that may export.
ADMIN_ROLES = EXPORT_ROLES
ACCESS_OFF_DETAIL = "API-key access is off for this tenant; enable it first (PUT /api/v2/analytics/api-keys/access)"
# Live (not revoked) keys per tenant. Every key of a tenant shares the limits that protect personal data (the phone
# search's, aurion.search_budget), and the cap bounds what a leaked admin session can mint and hand out.
MAX_LIVE_KEYS = 5
KEY_CAP_DETAIL = f"This tenant already has {MAX_LIVE_KEYS} live API keys; revoke one before creating another"

# The documented answers of the routes that do not answer 200 (the 201's schema comes from the return type).
CREATE_RESPONSES: dict[int, OpenAPIResponse] = {
    201: {"description": "The new key; `api_key` is the full key, in this response only"},
    409: {
        "description": f"API-key access is off for this tenant (enable it first), or it already has {MAX_LIVE_KEYS} "
        "live keys (revoke one first)",
        "content": {"application/json": {"model": ApiKeyProblem}},
    },
}
REVOKE_RESPONSES: dict[int, OpenAPIResponse] = {
    204: {"description": "Revoked, or already revoked (no body)", "content": {}},
    404: {
        "description": "No such key for this tenant (another tenant's keys are unknown keys too)",
        "content": {"application/json": {"model": ApiKeyProblem}},
    },
}

_COLUMNS = "id::text AS key_id, name, prefix, role, created_by, created_at, last_used_at, revoked_at"

INSERT_SQL = f"""
INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_by)
VALUES (CAST(:id AS uuid), CAST(:tenant_id AS uuid), :name, :prefix, :key_hash, :created_by)
RETURNING {_COLUMNS}
"""
LIST_SQL = f"SELECT {_COLUMNS} FROM api_keys WHERE tenant_id = CAST(:tenant_id AS uuid) ORDER BY created_at DESC, id"
LOCK_SQL = """
SELECT revoked_at FROM api_keys WHERE id = CAST(:key_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid) FOR UPDATE
"""
REVOKE_SQL = """
UPDATE api_keys SET revoked_at = now() WHERE id = CAST(:key_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""
ACCESS_SQL = "SELECT api_keys_enabled FROM tenants WHERE id = CAST(:tenant_id AS uuid)"
# Two admins creating at once must not both see the last free place.
CREATE_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('aurion.api_keys.create:' || :tenant_id, 0))"
LIVE_KEYS_SQL = "SELECT count(*) FROM api_keys WHERE tenant_id = CAST(:tenant_id AS uuid) AND revoked_at IS NULL"
SET_ACCESS_SQL = "UPDATE tenants SET api_keys_enabled = :enabled WHERE id = CAST(:tenant_id AS uuid)"


def _model(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key_id": row["key_id"],
        "name": row["name"],
        "prefix": row["prefix"],
        "role": row["role"],
        "created_by": row["created_by"],
        "created_at": iso_z(row["created_at"]) or "",
        "last_used_at": iso_z(row["last_used_at"]),
        "revoked_at": iso_z(row["revoked_at"]),
    }


def _audit(scope: Scope, action: str, target: str, outcome: str) -> None:
    audit.record(
        scope.tx,
        tenant_id=scope.tenant.id,
        actor_user_id=scope.caller.user_id,
        action=action,
        target_redacted=target,
        result_count=None,
        request_id=scope.caller.request_id,
        outcome=outcome,
    )


def _access_enabled(scope: Scope) -> bool:
    return bool(scope.tx.value(ACCESS_SQL, tenant_id=scope.tenant.id))


def get_access(caller: Caller) -> ApiKeyAccess:
    with tenant_scope(caller, roles=ADMIN_ROLES) as scope:
        return ApiKeyAccess(enabled=_access_enabled(scope))


def set_access(caller: Caller, body: ApiKeyAccessUpdate) -> ApiKeyAccess:
    with tenant_scope(caller, roles=ADMIN_ROLES) as scope:
        scope.tx.execute(SET_ACCESS_SQL, enabled=body.enabled, tenant_id=scope.tenant.id)
        _audit(scope, "api_key.access", "api_keys", "enabled" if body.enabled else "disabled")
    return ApiKeyAccess(enabled=body.enabled)


def create_key(caller: Caller, body: ApiKeyCreate) -> Response[ApiKeyCreated]:
    minted = mint_key()
    with tenant_scope(caller, roles=ADMIN_ROLES) as scope:
        if not _access_enabled(scope):
            raise Conflict(ACCESS_OFF_DETAIL)
        scope.tx.execute(CREATE_LOCK_SQL, tenant_id=scope.tenant.id)
        if scope.tx.value(LIVE_KEYS_SQL, tenant_id=scope.tenant.id) >= MAX_LIVE_KEYS:
            raise Conflict(KEY_CAP_DETAIL)
        row = scope.tx.one(
            INSERT_SQL,
            id=str(uuid.uuid4()),
            tenant_id=scope.tenant.id,
            name=body.name,
            prefix=minted.prefix,
            key_hash=minted.key_hash,
            created_by=caller.user_id,
        )
        assert row is not None
        _audit(scope, "api_key.create", f"api_key:{row['key_id']}", "ok")
    created = ApiKeyCreated(**_model(row), api_key=minted.key)
    # The only response that ever holds the key: no cache on the way may keep it.
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=created,
        headers={"Cache-Control": "no-store"},
    )


def list_keys(caller: Caller) -> ApiKeyList:
    with tenant_scope(caller, roles=ADMIN_ROLES) as scope:
        rows = scope.tx.all(LIST_SQL, tenant_id=scope.tenant.id)
        enabled = _access_enabled(scope)
    return ApiKeyList(enabled=enabled, keys=[ApiKey(**_model(row)) for row in rows])


def revoke_key(caller: Caller, key_id: str) -> Response[Any]:
    try:
        key_id = str(uuid.UUID(key_id))
    except ValueError:
        raise NotFound("API key not found") from None
    with tenant_scope(caller, roles=ADMIN_ROLES) as scope:
        row = scope.tx.one(LOCK_SQL, key_id=key_id, tenant_id=scope.tenant.id)
        if row is None:
            raise NotFound("API key not found")
        if row["revoked_at"] is None:
            scope.tx.execute(REVOKE_SQL, key_id=key_id, tenant_id=scope.tenant.id)
        _audit(scope, "api_key.revoke", f"api_key:{key_id}", "ok" if row["revoked_at"] is None else "already_revoked")
    return Response(status_code=204, body="")
