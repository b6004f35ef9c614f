"""Public API keys end to end, through the local gateway (template.yaml's routes, the authorizer, the functions)
and PostgreSQL as the app role: the tenant opt-in, the admin routes, what a key may and may not call.

Decisions these tests pin (docs/api-keys.md): a key that does not authenticate (unknown, malformed, revoked, or
its tenant's access is off) gets the same 403 as before API keys existed; a live key on a route it may not call
gets 403 with its own detail.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest

from aurion.api_keys.management import KEY_CAP_DETAIL, MAX_LIVE_KEYS
from aurion.auth.roles import EXPORT_ROLES, READ_ROLES
from aurion.authorizer import API_KEY_DETAIL, API_KEY_ROUTE_DETAIL
from local.gateway import Gateway, GatewayResult
from tests.support.database import REPO

KEYS = "/api/v2/analytics/api-keys"
ACCESS = f"{KEYS}/access"
TEAMS = "/api/v2/analytics/conversations/teams"


@pytest.fixture
def gateway(app_env) -> Gateway:
    return Gateway(REPO / "template.yaml", REPO)


class Admin:
    """A tenant's admin with a dashboard session, calling the API-key routes through the gateway."""

    def __init__(self, gateway: Gateway, token: str) -> None:
        self.gateway = gateway
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> GatewayResult:
        return self.gateway.invoke(method, path, self.headers, json.dumps(body) if body is not None else None)

    def enable(self, enabled: bool = True) -> GatewayResult:
        return self.call("PUT", ACCESS, {"enabled": enabled})

    def create(self, name: str = "BI export job") -> GatewayResult:
        return self.call("POST", KEYS, {"name": name})

    def new_key(self) -> tuple[str, str]:
        """(key id, full key) of a new key, access enabled first."""
        assert self.enable().status == 200
        created = self.create()
        assert created.status == 201, created.json()
        return created.json()["key_id"], created.json()["api_key"]


@pytest.fixture
def tenant(build):
    tenant = build.tenant()
    build.team(tenant, "Tier 1")
    return tenant


@pytest.fixture
def admin(gateway, app_env, tenant) -> Admin:
    return Admin(gateway, app_env.token("tenant_admin", str(tenant)))


def with_key(gateway: Gateway, key: str, method: str = "GET", path: str = TEAMS, body: Any = None) -> GatewayResult:
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    return gateway.invoke(method, path, headers, json.dumps(body) if body is not None else None)


def test_api_key_access_is_off_by_default_and_a_key_gets_the_same_403_as_before(gateway, admin):
    # Given a tenant that never opted in
    # Then its access reads as off, and no key can be created
    assert admin.call("GET", ACCESS).json() == {"enabled": False}
    refused = admin.create()
    assert refused.status == 409
    assert "enable it first" in refused.json()["detail"]
    # And a request with only an X-API-Key is the authorizer's 403, exactly as before API keys existed
    response = with_key(gateway, "itsm_sk_live_xxxx")
    assert response.status == 403
    assert response.json() == {"detail": API_KEY_DETAIL}


def test_an_enabled_tenants_key_reads_analytics_with_its_rate_limit_headers(gateway, admin):
    # Given an admin who enabled API-key access and created a key
    _, key = admin.new_key()
    # When the key calls a read route, and a voice route
    teams = with_key(gateway, key)
    calls = with_key(gateway, key, path="/api/v1/analytics/call-metrics?start_date=2026-03-01&end_date=2026-03-08")
    # Then it reads the tenant's data, each answer carrying the key's rate-limit headers
    assert teams.status == 200, teams.json()
    assert [team["team_name"] for team in teams.json()["teams"]] == ["Tier 1"]
    assert calls.status == 200, calls.json()
    assert teams.headers["X-RateLimit-Limit"] == "300"
    assert [teams.headers["X-RateLimit-Remaining"], calls.headers["X-RateLimit-Remaining"]] == ["299", "298"]
    assert teams.headers["RateLimit-Policy"] == "300;w=60"
    assert teams.headers["RateLimit"].startswith("limit=300, remaining=299, reset=")


def test_a_keys_invalid_request_is_counted_and_says_so(gateway, admin):
    _, key = admin.new_key()
    response = with_key(gateway, key, path="/api/v2/analytics/conversations/overview?date_from=yesterday")
    assert response.status == 422
    assert response.headers["X-RateLimit-Remaining"] == "299"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/analytics/export", {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08"}),
        ("GET", "/api/v1/analytics/exports", None),
        ("GET", f"/api/v1/analytics/export/{uuid.uuid4()}/download", None),
        ("GET", "/api/v1/analytics/export-schedules", None),
    ],
    ids=["create-export", "list-exports", "download-export", "list-schedules"],
)
def test_a_key_cannot_reach_exports(gateway, admin, method, path, body):
    _, key = admin.new_key()
    response = with_key(gateway, key, method, path, body)
    assert response.status == 403
    assert response.json() == {"detail": API_KEY_ROUTE_DETAIL}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", KEYS, None),
        ("POST", KEYS, {"name": "a key minting keys"}),
        ("GET", ACCESS, None),
        ("PUT", ACCESS, {"enabled": False}),
        ("DELETE", f"{KEYS}/{uuid.uuid4()}", None),
    ],
    ids=["list", "create", "read-access", "switch-access", "revoke"],
)
def test_a_key_cannot_manage_api_keys(gateway, admin, method, path, body):
    key_id, key = admin.new_key()
    if method == "DELETE":
        path = f"{KEYS}/{key_id}"
    response = with_key(gateway, key, method, path, body)
    assert response.status == 403
    assert response.json() == {"detail": API_KEY_ROUTE_DETAIL}
    # And the key is still live and access still on
    assert with_key(gateway, key).status == 200


def test_a_revoked_key_gets_the_generic_403_and_revoking_again_is_harmless(gateway, admin):
    # Given a key that worked
    key_id, key = admin.new_key()
    assert with_key(gateway, key).status == 200
    # When the admin revokes it
    revoked = admin.call("DELETE", f"{KEYS}/{key_id}")
    # Then it is refused like any unknown key, and the list shows when it was revoked
    assert revoked.status == 204
    refused = with_key(gateway, key)
    assert refused.status == 403
    assert refused.json() == {"detail": API_KEY_DETAIL}
    listed = admin.call("GET", KEYS).json()["keys"]
    assert [(item["key_id"], item["revoked_at"] is not None) for item in listed] == [(key_id, True)]
    # And a second revocation answers 204 and keeps the first time
    assert admin.call("DELETE", f"{KEYS}/{key_id}").status == 204
    assert admin.call("GET", KEYS).json()["keys"][0]["revoked_at"] == listed[0]["revoked_at"]


@pytest.mark.parametrize(
    "key",
    ["itsm_sk_live_" + "A" * 43, "itsm_sk_live_short", "not-a-key", "itsm_sk_live_" + "é" * 43],
    ids=["well-formed-unknown", "too-short", "other-format", "non-ascii"],
)
def test_a_wrong_key_gets_the_generic_403(gateway, admin, key):
    admin.new_key()
    response = with_key(gateway, key)
    assert response.status == 403
    assert response.json() == {"detail": API_KEY_DETAIL}


def test_switching_access_off_stops_every_key_and_on_again_revives_them(gateway, admin):
    _, key = admin.new_key()
    assert admin.enable(False).json() == {"enabled": False}
    assert with_key(gateway, key).json() == {"detail": API_KEY_DETAIL}
    assert admin.enable(True).json() == {"enabled": True}
    assert with_key(gateway, key).status == 200


@pytest.mark.parametrize("role", sorted(READ_ROLES - EXPORT_ROLES))
def test_a_non_admin_role_cannot_manage_api_keys(gateway, app_env, tenant, admin, role):
    # Given access enabled by an admin
    admin.enable()
    user = Admin(gateway, app_env.token(role, str(tenant)))
    # Then a non-admin can neither create (even with an invalid body), list, switch access nor revoke
    for response in (
        user.create(),
        user.call("POST", KEYS, {"unexpected": True}),
        user.call("GET", KEYS),
        user.call("GET", ACCESS),
        user.enable(False),
        user.call("DELETE", f"{KEYS}/{uuid.uuid4()}"),
    ):
        assert response.status == 403, response.json()
        assert set(response.json()) == {"detail"}


def test_the_full_key_is_in_the_create_response_only(gateway, admin):
    # When an admin creates a key
    admin.enable()
    created = admin.create("Nightly BI sync")
    body = created.json()
    # Then the full key is in that response, with its visible prefix and no caching
    assert created.status == 201
    assert created.headers["Cache-Control"] == "no-store"
    assert body["api_key"].startswith("itsm_sk_live_")
    assert body["api_key"].startswith(body["prefix"])
    assert body["role"] == "tenant_readonly"
    assert body["name"] == "Nightly BI sync"
    # And the list shows the key by its prefix, never the key itself
    listed = admin.call("GET", KEYS)
    assert listed.status == 200
    assert listed.json()["enabled"] is True
    [item] = listed.json()["keys"]
    assert item == {name: value for name, value in body.items() if name != "api_key"}
    assert body["api_key"] not in listed.body.decode()


def test_only_the_sha256_of_the_key_is_stored_and_nothing_logs_or_audits_the_key(
    gateway, admin, owner_conn, tenant, capsys
):
    # Given a key created and used
    key_id, key = admin.new_key()
    assert with_key(gateway, key).status == 200
    # Then the database holds its SHA-256 and the prefix, and no column anywhere holds the key
    [row] = owner_conn.run("SELECT key_hash, prefix, last_used_at FROM api_keys WHERE id = :id", id=key_id)
    assert row[0] == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row[1])
    assert row[1] != key
    assert row[2] is not None  # its use was noted
    stored = owner_conn.run(
        "SELECT count(*) FROM api_keys k WHERE k::text LIKE :key", key=f"%{key[len('itsm_sk_live_') :]}%"
    )
    assert stored == [[0]]
    # And the audit log names the key by its id
    audit = owner_conn.run("SELECT action, target_redacted FROM audit_log WHERE tenant_id = :t ORDER BY id", t=tenant)
    assert [tuple(entry) for entry in audit] == [
        ("api_key.access", "api_keys"),
        ("api_key.create", f"api_key:{key_id}"),
    ]
    # And no log line carries it
    captured = capsys.readouterr()
    assert key not in captured.out + captured.err


def test_another_tenant_can_neither_see_nor_revoke_the_key(gateway, app_env, admin, build):
    # Given a key of tenant A
    key_id, key = admin.new_key()
    # And the admin of tenant B, who enabled access too
    other = Admin(gateway, app_env.token("tenant_admin", str(build.tenant())))
    other.enable()
    # Then B lists no keys, and revoking A's key is 404 (as for any unknown id)
    assert other.call("GET", KEYS).json() == {"enabled": True, "keys": []}
    refused = other.call("DELETE", f"{KEYS}/{key_id}")
    assert refused.status == 404
    assert refused.json() == {"detail": "API key not found"}
    assert other.call("DELETE", f"{KEYS}/not-a-uuid").status == 404
    # And A's key still reads A's data
    assert with_key(gateway, key).status == 200


def test_a_key_reads_only_its_own_tenants_data(gateway, admin, app_env, build):
    # Given tenant B's teams, and tenant A's key
    other = build.tenant()
    build.team(other, "Other tenant's team")
    _, key = admin.new_key()
    # Then the key sees tenant A's teams only
    teams = with_key(gateway, key).json()["teams"]
    assert [team["team_name"] for team in teams] == ["Tier 1"]


def test_a_key_name_is_required_and_bounded(admin):
    admin.enable()
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": 7}, {"name": "ok", "role": "tenant_admin"}):
        response = admin.call("POST", KEYS, body)
        assert response.status == 422, body


def test_a_tenant_holds_at_most_five_live_keys_and_a_revoked_one_frees_a_place(admin, owner_conn, tenant):
    # Given an admin who switched access on and minted the cap of live keys
    assert admin.enable().status == 200
    created = [admin.create(f"key {n}") for n in range(MAX_LIVE_KEYS)]
    assert [answer.status for answer in created] == [201] * MAX_LIVE_KEYS
    # When they mint one more (the adversarial pass minted 16 in a few seconds)
    refused = admin.create("one too many")
    # Then it is a 409 saying why, and no key was stored
    assert refused.status == 409
    assert refused.json() == {"detail": KEY_CAP_DETAIL}
    assert owner_conn.run("SELECT count(*) FROM api_keys WHERE tenant_id = :t", t=tenant) == [[MAX_LIVE_KEYS]]
    # And once a key is revoked, its place is free again
    assert admin.call("DELETE", f"{KEYS}/{created[0].json()['key_id']}").status == 204
    assert admin.create("replacement").status == 201
    assert admin.create("again one too many").status == 409
