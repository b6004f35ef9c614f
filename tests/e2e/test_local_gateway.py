"""The local gateway (local/gateway.py) over real HTTP, routing by the real template.yaml.

These prove the pieces meet as deployed: the template's routes and gateway responses, the authorizer
function, the conversation_analytics function and PostgreSQL as the app role.

Fixtures used (tests/conftest.py): `app_env` sets AURION_DB_URL (app role on the session's migrated test
database), AURION_SESSION_SECRET and CORS_ALLOWED_ORIGINS (must include http://localhost:5173), clears the
cached settings, and `app_env.token(role, tenant)` signs a session token for a tenant given by slug or id;
`build` writes rows as the owner (build.tenant(slug) is a Professional tenant, build.team(tenant, name)).
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any

import pytest

from aurion.auth.tokens import issue_token
from local.gateway import GatewayServer, make_server
from local.sam_model import load_api_model
from tests.support.database import REPO

TEMPLATE = REPO / "template.yaml"
TEAMS = "/api/v2/analytics/conversations/teams"
ORIGIN = "http://localhost:5173"


@dataclass
class HttpResponse:
    status: int
    headers: Message
    body: Any


@pytest.fixture
def gateway(app_env) -> Iterator[GatewayServer]:
    """The local gateway on a free port, in a thread, configured by app_env's environment."""
    server = make_server("127.0.0.1", 0, TEMPLATE, REPO)
    thread = server.serve_in_thread()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def call(
    server: GatewayServer, path: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> HttpResponse:
    request = urllib.request.Request(server.url + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, response_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, raw = error.code, error.headers, error.read()
    return HttpResponse(status=status, headers=response_headers, body=json.loads(raw) if raw else None)


def _assert_detail(response: HttpResponse) -> None:
    assert set(response.body) == {"detail"}
    assert isinstance(response.body["detail"], str)
    assert response.body["detail"]


def test_a_request_without_credentials_is_401_with_a_detail(gateway):
    response = call(gateway, TEAMS)
    assert response.status == 401
    _assert_detail(response)
    assert response.headers["Content-Type"].startswith("application/json")


def test_an_api_key_without_a_session_is_403_with_the_authorizers_detail(gateway):
    # Given only an X-API-Key (tenants have not opted into API-key access)
    response = call(gateway, TEAMS, headers={"X-API-Key": "itsm_sk_local_test"})
    # Then the authorizer's explicit Deny becomes the ACCESS_DENIED response, rendering its context detail
    assert response.status == 403
    _assert_detail(response)
    assert "API key" in response.body["detail"]


def test_a_valid_session_lists_its_tenants_teams(gateway, app_env, build):
    # Given a Professional tenant with one team
    tenant = build.tenant("gw-acme")
    team = build.team(tenant, "Tier 1")
    # When its admin calls the route through the gateway
    token = app_env.token("tenant_admin", "gw-acme")
    response = call(gateway, TEAMS, headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN})
    # Then the function answered with the tenant's teams and its own CORS echo
    assert response.status == 200
    assert response.body == {"teams": [{"team_id": str(team), "team_name": "Tier 1"}]}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_role_outside_the_read_list_is_403_with_a_detail(gateway, app_env, build):
    build.tenant("gw-roles")
    token = app_env.token("billing_bot", "gw-roles")
    response = call(gateway, TEAMS, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 403
    _assert_detail(response)


def test_an_expired_session_is_401(gateway, app_env, build):
    tenant = build.tenant("gw-expired")
    token = issue_token(app_env.secret, user_id="u-1", tenant_id=str(tenant), role="tenant_admin", ttl_seconds=-60)
    response = call(gateway, TEAMS, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401
    _assert_detail(response)


def test_a_cors_preflight_is_answered_without_credentials(gateway):
    response = call(
        gateway,
        TEAMS,
        method="OPTIONS",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert 200 <= response.status < 300
    assert response.headers["Access-Control-Allow-Origin"] in (ORIGIN, "*")
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_a_401_carries_the_gateway_responses_cors_headers(gateway):
    # A browser can only read the 401 (and so redirect to login) if the gateway response allows its origin.
    response = call(gateway, TEAMS, headers={"Origin": ORIGIN})
    assert response.status == 401
    assert response.headers["Access-Control-Allow-Origin"] in (ORIGIN, "*")


def test_an_unknown_route_gets_the_templates_missing_route_response(gateway):
    expected = load_api_model(TEMPLATE, REPO).gateway_responses.get("MISSING_AUTHENTICATION_TOKEN")
    response = call(gateway, "/api/v2/analytics/conversations/no-such-view")
    assert response.status == (expected.status if expected and expected.status else 403)
    assert "detail" in response.body
    # A known path with a method it does not route is the same response, before any authorizer runs.
    assert call(gateway, TEAMS, method="DELETE").status == response.status


def test_the_gateway_also_serves_in_process_without_http(gateway, app_env, build):
    build.tenant("gw-inproc")
    token = app_env.token("agent", "gw-inproc")
    result = gateway.invoke("GET", TEAMS, {"Authorization": f"Bearer {token}"})
    assert result.status == 200
    assert result.json() == {"teams": []}
    assert gateway.invoke("GET", TEAMS).status == 401


# -- what API Gateway and http.server refuse, and conventions the gateway's event must carry --


def test_a_60_kb_token_gets_a_431_in_the_apis_error_shape_not_an_html_page(gateway):
    # Given a session token far past API Gateway's 10,240 bytes of request line and headers
    response = call(gateway, TEAMS, headers={"Authorization": "Bearer " + "a" * 60 * 1024})
    # Then the gateway refuses it before the authorizer runs, in JSON like every other answer
    assert response.status == 431
    assert response.headers["Content-Type"].startswith("application/json")
    _assert_detail(response)
    assert "10240" in response.body["detail"]


@pytest.mark.parametrize(
    "headers",
    [{"X-Padding": "a" * 70 * 1024}, {f"X-Header-{i}": "1" for i in range(101)}],
    ids=["a-line-over-64-kb", "more-than-100-headers"],
)
def test_http_servers_own_refusals_are_in_the_apis_error_shape(gateway, headers):
    # Given headers that http.server itself refuses before the gateway sees the request
    response = call(gateway, TEAMS, headers=headers)
    # Then its 431 is JSON with a detail, not its HTML error page
    assert response.status == 431
    assert response.headers["Content-Type"].startswith("application/json")
    _assert_detail(response)


def test_a_malformed_request_line_is_a_400_in_the_apis_error_shape(gateway):
    host, port = gateway.server_address[:2]
    with socket.create_connection((str(host), port), timeout=10) as connection:
        connection.sendall(b"GET / one-word-too-many HTTP/1.1\r\n\r\n")
        raw = connection.makefile("rb").read()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/json" in head
    assert set(json.loads(body)) == {"detail"}


def test_request_line_and_headers_of_exactly_10240_bytes_are_served(gateway, app_env, build):
    # Given a valid session and padding that brings the request line and header values to API Gateway's limit
    build.tenant("gw-limit")
    headers = {"Authorization": f"Bearer {app_env.token('agent', 'gw-limit')}"}
    used = len(f"GET {TEAMS} HTTP/1.1") + sum(len(value) for value in headers.values())
    at_limit = gateway.invoke("GET", TEAMS, {**headers, "X-Padding": "p" * (10240 - used)})
    over_limit = gateway.invoke("GET", TEAMS, {**headers, "X-Padding": "p" * (10241 - used)})
    # Then the limit itself is served and one byte more is refused
    assert at_limit.status == 200, at_limit.body
    assert over_limit.status == 431


def test_a_repeated_query_key_takes_its_last_value_through_the_gateway(gateway, app_env, build):
    # Given the event the gateway builds for ?limit=5&limit=7 (queryStringParameters last, multiValue both)
    build.tenant("gw-repeat")
    token = app_env.token("tenant_admin", "gw-repeat")
    path = "/api/v2/analytics/conversations/csat/responses?limit=5&limit=7"
    response = call(gateway, path, headers={"Authorization": f"Bearer {token}"})
    # Then the function reads the last value, as API Gateway's queryStringParameters and FastAPI do
    assert response.status == 200, response.body
    assert response.body["limit"] == 7


def test_json_posted_the_way_curl_does_without_a_content_type_is_a_415_through_the_gateway(gateway, app_env, build):
    # Given curl -d '{"format": "csv", ...}' without -H: urllib, like curl, sends it form-encoded
    build.tenant("gw-curl")
    token = app_env.token("tenant_admin", "gw-curl")
    body = json.dumps({"format": "csv", "start_date": "2026-11-01", "end_date": "2026-11-27"}).encode()
    request = urllib.request.Request(
        gateway.url + "/api/v1/analytics/export", data=body, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    # Then a 415 that says what to send
    assert refused.value.code == 415
    assert "application/json" in json.loads(refused.value.read())["detail"]
