"""Isolation matrix: every route of template.yaml x every role x its own tenant / another tenant.

Through the local gateway with the real authorizer, as deployed: function-level authorization (which role may call
which route), object-level authorization (another tenant's export or schedule is 404, never 200 and never 403),
and no answer to tenant B ever carries an id of tenant A (every uuid of every tenant table, collected from the
database, so a new table or column is scanned without anyone listing it).

The routes come from template.yaml, so a route added there is walked here at once: for each route RECIPES
(tests/support/routes.py) says who may call it, what it answers on success and what to send. A route without a
recipe fails test_every_route_of_the_template_has_a_recipe (and still gets the checks that need no recipe: no
session is 401, a role outside the spec's list is 403, another tenant's object is never a success, no tenant-A
id in an answer to tenant B). Objects named by a path parameter are created fresh per request by
OBJECT_FACTORIES.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pg8000.native
import pytest

from aurion import clock
from aurion.auth.roles import READ_ROLES
from local.gateway import GatewayResult
from local.sam_model import load_api_model
from tests.support.database import REPO
from tests.support.routes import RECIPES, V1, V2, Recipe
from tests.support.stack import Stack, local_stack

MODEL = load_api_model(REPO / "template.yaml", REPO)
ROUTES = sorted({(route.method, route.resource) for route in MODEL.routes}, key=lambda r: (r[1], r[0]))
OUTSIDE_ROLE = "billing_bot"  # a valid session whose role is not in the spec's list
# An X-API-Key of a tenant that opted in: read-only, it may call what tenant_readonly may call.
API_KEY = "api_key"
API_KEY_ROLE = "tenant_readonly"
ROLES = [*sorted(READ_ROLES), OUTSIDE_ROLE, API_KEY]
PATH_PARAMETER = re.compile(r"\{([A-Za-z0-9_]+)\+?\}")
API_KEYS = f"{V2}/api-keys"


# -- objects named by path parameters: a fresh one per request, so DELETE and PATCH cannot disturb other cases --


def new_export(owner: pg8000.native.Connection, tenant: uuid.UUID) -> str:
    """A finished export inside its 24 hours (by the clock the export code reads): its download is a 302."""
    export_id, now = uuid.uuid4(), clock.now()
    owner.run(
        "INSERT INTO exports (id, tenant_id, created_by, format, scope, start_date, end_date, include_call_details, "
        "include_transcripts, include_conversations, status, s3_key, row_count, size_bytes, created_at, expires_at) "
        "VALUES (:id, :t, :by, 'csv', 'voice', '2026-02-27', '2026-03-09', true, false, false, 'succeeded', "
        ":key, 1, 10, :now, :expires)",
        id=export_id, t=tenant, by=uuid.uuid4(), key=f"exports/{tenant}/{export_id}.csv", now=now,
        expires=now + timedelta(hours=23),
    )  # fmt: skip
    return str(export_id)


def new_schedule(owner: pg8000.native.Connection, tenant: uuid.UUID) -> str:
    schedule_id = uuid.uuid4()
    owner.run(
        "INSERT INTO export_schedules (id, tenant_id, name, cadence, time_of_day, format, scope, next_run_at, "
        "created_by) VALUES (:id, :t, 'Matrix daily', 'daily', '06:00', 'csv', 'voice', '2099-01-01', :by)",
        id=schedule_id, t=tenant, by=uuid.uuid4(),
    )  # fmt: skip
    return str(schedule_id)


def new_api_key(owner: pg8000.native.Connection, tenant: uuid.UUID) -> str:
    key_id = uuid.uuid4()
    owner.run(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_by) "
        "VALUES (:id, :t, 'Matrix key', :prefix, :hash, 'matrix')",
        id=key_id, t=tenant, prefix=f"itsm_sk_live_{key_id.hex[:8]}", hash=hashlib.sha256(key_id.bytes).hexdigest(),
    )  # fmt: skip
    return str(key_id)


def new_import(owner: pg8000.native.Connection, tenant: uuid.UUID) -> str:
    """A bulk import of one file with a rejected line (its status is read, never changed, by the API)."""
    import_id = uuid.uuid4()
    owner.run(
        "INSERT INTO import_files (tenant_id, import_id, file_name, etag, status, lines_done, rows_read, "
        "rows_applied, rows_rejected) VALUES (:t, :id, 'history.ndjson', 'matrix', 'completed', 3, 3, 2, 1)",
        t=tenant, id=import_id,
    )  # fmt: skip
    owner.run(
        "INSERT INTO import_rejects (tenant_id, import_id, file_name, line, reason) "
        "VALUES (:t, :id, 'history.ndjson', 2, 'not a JSON line')",
        t=tenant, id=import_id,
    )  # fmt: skip
    return str(import_id)


def new_destination(owner: pg8000.native.Connection, tenant: uuid.UUID) -> str:
    """An e-mail destination waiting for its verification code, "matrix-code" (the verify recipe sends it)."""
    destination_id = uuid.uuid4()
    owner.run(
        "INSERT INTO export_destinations (id, tenant_id, kind, name, email, verification_token_hash, "
        "verification_expires_at, created_by, created_at) VALUES (:id, :t, 'email', 'Matrix mailbox', "
        "'matrix@example.com', :hash, '2099-01-01', :by, now())",
        id=destination_id, t=tenant, hash=hashlib.sha256(b"matrix-code").hexdigest(), by=uuid.uuid4(),
    )  # fmt: skip
    return str(destination_id)


OBJECT_FACTORIES: dict[str, Callable[[pg8000.native.Connection, uuid.UUID], str]] = {
    "export_id": new_export,
    "schedule_id": new_schedule,
    "destination_id": new_destination,
    "key_id": new_api_key,
    "import_id": new_import,
}


def tenant_uuid_columns(owner: pg8000.native.Connection) -> list[tuple[str, str]]:
    """(table, column) of every uuid column of every table that has a tenant_id."""
    rows = owner.run(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.columns t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "AND t.column_name = 'tenant_id' "
        "JOIN information_schema.tables k ON k.table_schema = c.table_schema AND k.table_name = c.table_name "
        "AND k.table_type = 'BASE TABLE' "
        "WHERE c.table_schema = 'public' AND c.data_type = 'uuid' ORDER BY 1, 2"
    )
    return [(str(table), str(column)) for table, column in rows]


def object_of(owner: pg8000.native.Connection, tenant: uuid.UUID, parameter: str) -> str:
    """A fresh object for the path parameter; for a parameter without a factory, an existing row of the tenant
    in the table named after it (`{key_id}` -> a table ending in "keys")."""
    if parameter in OBJECT_FACTORIES:
        return OBJECT_FACTORIES[parameter](owner, tenant)
    stem = parameter.removesuffix("_id")
    for table, column in tenant_uuid_columns(owner):
        if column == "id" and table.endswith(f"{stem}s"):
            rows = owner.run(f"SELECT id::text FROM {table} WHERE tenant_id = :t LIMIT 1", t=tenant)
            if rows:
                return str(rows[0][0])
    pytest.fail(f"no object of tenant {tenant} for {{{parameter}}}: add a factory to OBJECT_FACTORIES")


def row_of(owner: pg8000.native.Connection, object_id: str) -> list[Any]:
    """Every row, in any tenant table, whose id is object_id, as JSON (to prove a request changed nothing). An
    import is named by the import_id of its files' rows."""
    found = []
    for table, column in tenant_uuid_columns(owner):
        if column in ("id", "import_id"):
            sql = f"SELECT row_to_json(x)::text FROM {table} x WHERE {column} = CAST(:id AS uuid)"
            found += owner.run(sql, id=object_id)
    return found


@dataclass
class World:
    stack: Stack
    a: uuid.UUID
    b: uuid.UUID
    phone: str  # a full phone number of one of tenant A's calls
    api_keys: dict[uuid.UUID, str] = field(default_factory=dict)

    def api_key(self, tenant: uuid.UUID) -> str:
        """A live API key of the tenant, created by its admin through the API (access switched on first)."""
        if ("POST", API_KEYS) not in ROUTES:
            pytest.skip("this template has no API keys")
        if tenant not in self.api_keys:
            admin = self.stack.token("tenant_admin", tenant)
            switched = self.stack.request("PUT", f"{API_KEYS}/access", token=admin, body={"enabled": True})
            assert switched.status == 200, switched.body
            created = self.stack.request("POST", API_KEYS, token=admin, body={"name": "Matrix principal"})
            assert created.status == 201, created.body
            self.api_keys[tenant] = json.loads(created.body)["api_key"]
        return self.api_keys[tenant]

    def ids_of_a(self) -> set[str]:
        """Every uuid tenant A owns (read now: objects created by earlier requests count too), its slug and name."""
        owner = self.stack.owner
        needles = {str(self.a)}
        for table, column in tenant_uuid_columns(owner):
            rows = owner.run(
                f"SELECT DISTINCT {column}::text FROM {table} WHERE tenant_id = :t AND {column} IS NOT NULL",
                t=self.a,
            )
            needles.update(str(row[0]) for row in rows)
        needles.update(str(value) for value in owner.run("SELECT slug, name FROM tenants WHERE id = :t", t=self.a)[0])
        needles.update(key for tenant, key in self.api_keys.items() if tenant == self.a)
        return needles

    def objects_for(self, resource: str, tenant: uuid.UUID) -> dict[str, str]:
        """A fresh object of `tenant` for each path parameter of the route."""
        return {
            parameter: object_of(self.stack.owner, tenant, parameter) for parameter in PATH_PARAMETER.findall(resource)
        }

    def call(
        self, method: str, resource: str, role: str, tenant: uuid.UUID, objects: dict[str, str] | None = None
    ) -> Call:
        recipe = RECIPES.get((method, resource))
        objects = self.objects_for(resource, tenant) if objects is None else objects
        path = resource
        for parameter, object_id in objects.items():
            path = re.sub(r"\{" + parameter + r"\+?\}", object_id, path)
        query = (recipe.query if recipe else "").replace("{phone}", _quote(self.phone))
        url, body = f"{path}?{query}" if query else path, recipe.body if recipe else None
        if role == API_KEY:
            result = self.stack.request(method, url, headers={"X-API-Key": self.api_key(tenant)}, body=body)
        else:
            result = self.stack.request(method, url, token=self.stack.token(role, tenant), body=body)
        return Call(result, recipe, objects)


@dataclass
class Call:
    result: GatewayResult
    recipe: Recipe | None
    objects: dict[str, str]

    @property
    def text(self) -> str:
        """Everything the client receives: status line aside, every header and the body."""
        headers = "\n".join(f"{name}: {value}" for name, value in self.result.headers.items())
        return f"{headers}\n{self.result.body.decode('utf-8', 'replace')}".lower()

    def describe(self) -> str:
        return f"{self.result.status} {self.result.body[:300]!r}"


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@pytest.fixture(scope="module")
def world(database, owner_conn) -> Iterator[World]:
    with local_stack(database, owner_conn) as stack:
        a = stack.seed("iso-a", seed=11)
        b = stack.seed("iso-b", seed=12)
        # B has objects of its own, so its lists are not empty by construction; both tenants opted into API keys.
        new_export(owner_conn, b)
        new_schedule(owner_conn, b)
        new_destination(owner_conn, b)
        new_api_key(owner_conn, b)
        owner_conn.run("UPDATE tenants SET api_keys_enabled = true WHERE id IN (:a, :b)", a=a, b=b)
        phone = owner_conn.run("SELECT phone_number FROM calls WHERE tenant_id = :t LIMIT 1", t=a)[0][0]
        yield World(stack=stack, a=a, b=b, phone=str(phone))


def allowed(recipe: Recipe, role: str) -> bool:
    return (API_KEY_ROLE if role == API_KEY else role) in recipe.roles


def route_id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


def test_every_route_of_the_template_has_a_recipe():
    # (A recipe for a route the template lacks is harmless: a renamed route shows up here as missing.)
    missing = [route_id(route) for route in ROUTES if route not in RECIPES]
    assert missing == [], "add these routes to RECIPES (who may call them, success code, what to send)"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_in_its_own_tenant_a_role_gets_the_routes_success_code_or_403(world, route, role):
    # Given a session of tenant A with this role (and, for a path parameter, a fresh object of tenant A)
    method, resource = route
    # When it calls the route through the gateway
    call = world.call(method, resource, role, world.a)
    # Then a role the route allows gets its success code, every other role a 403 {"detail"}
    if call.recipe is None:  # (test_every_route_of_the_template_has_a_recipe fails for it)
        if role == OUTSIDE_ROLE:
            assert call.result.status == 403, call.describe()
        assert call.result.status < 500, call.describe()
        return
    expected = call.recipe.success if allowed(call.recipe, role) else 403
    assert call.result.status == expected, call.describe()
    if expected == 403:
        assert set(json.loads(call.result.body)) == {"detail"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_another_tenant_gets_403_404_or_its_own_data_and_never_an_id_of_tenant_a(world, route, role):
    # Given a session of tenant B, and for a path parameter a fresh object of tenant A
    method, resource = route
    objects_of_a = world.objects_for(resource, world.a)
    before = {object_id: row_of(world.stack.owner, object_id) for object_id in objects_of_a.values()}
    # When B calls the route (naming A's object where the route takes one)
    call = world.call(method, resource, role, world.b, objects_of_a)
    # Then: an allowed role gets 404 for A's object (never 200, never 403: no existence oracle) or its own answer
    # for a collection route; a role the route does not allow gets 403
    status = call.result.status
    if call.recipe is None:  # (test_every_route_of_the_template_has_a_recipe fails for it)
        if role == OUTSIDE_ROLE:
            assert status == 403, call.describe()
        assert status < 500, call.describe()
        if call.objects:
            assert status in (403, 404, 422), call.describe()
    elif not allowed(call.recipe, role):
        assert status == 403, call.describe()
    elif call.objects:
        assert status == 404, call.describe()
        assert set(json.loads(call.result.body)) == {"detail"}
    else:
        assert status == call.recipe.success, call.describe()
    # And nothing of tenant A is in the answer (headers included: a redirect's Location names an object)
    leaked = sorted(needle for needle in world.ids_of_a() if needle.lower() in call.text)
    assert leaked == [], call.describe()
    # And A's object is exactly as it was (a PATCH or DELETE of another tenant changes nothing)
    for object_id, rows in before.items():
        assert rows, f"{object_id} of tenant A is gone after tenant B's {method}"
        assert row_of(world.stack.owner, object_id) == rows


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_without_a_valid_session_every_route_is_401_and_an_unknown_api_key_is_refused(world, route):
    method, resource = route
    path = PATH_PARAMETER.sub(str(uuid.uuid4()), resource)
    stack = world.stack
    forged = stack.token("tenant_admin", world.a)
    forged = forged[:-4] + ("AAAA" if not forged.endswith("AAAA") else "BBBB")
    expired = stack.token("tenant_admin", world.a, ttl_seconds=-60)
    answers = {
        "no credentials": stack.request(method, path),
        "garbled token": stack.request(method, path, headers={"Authorization": "Bearer not-a-jwt"}),
        "forged signature": stack.request(method, path, token=forged),
        "expired token": stack.request(method, path, token=expired),
        "basic auth": stack.request(method, path, headers={"Authorization": "Basic dXNlcjpwYXNz"}),
    }
    # A route without the authorizer (the delivered download link) refuses them itself, with 403
    refused = 401 if next(r for r in MODEL.routes if (r.method, r.resource) == route).authorizer else 403
    assert {name: answer.status for name, answer in answers.items()} == dict.fromkeys(answers, refused)
    assert all(set(json.loads(answer.body)) == {"detail"} for answer in answers.values())
    # An API key no tenant issued never reaches a function
    unknown_key = stack.request(method, path, headers={"X-API-Key": f"itsm_sk_live_{uuid.uuid4().hex}"})
    assert unknown_key.status in (401, 403), unknown_key.body
    assert set(json.loads(unknown_key.body)) == {"detail"}


def test_the_scan_finds_tenant_a_ids_in_tenant_a_own_answers(world):
    # The leak check above can fail: A's own answers are full of the ids it looks for.
    for resource in (f"{V2}/conversations/teams", f"{V2}/conversations/csat/responses", f"{V1}/search"):
        call = world.call("GET", resource, "tenant_admin", world.a)
        assert call.result.status == 200, call.describe()
        assert [needle for needle in world.ids_of_a() if needle.lower() in call.text], resource
