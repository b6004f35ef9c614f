"""The per-key limit: 300 requests a minute per API key, counted in the functions (an authorizer cannot answer
429), shared through Redis by every function and instance, and failing open to a per-instance count when Redis
is down (aurion.ratelimit).

The functions are invoked with the context the authorizer gives a key (tests/unit/test_api_key_authorizer.py
proves that context). Redis tests use REDIS_URL when set, else redis://127.0.0.1:6379/15, and are skipped when
neither answers; their keys carry a prefix unique to the test, removed afterwards.
"""

from __future__ import annotations

import uuid

import pytest

from aurion import ratelimit
from tests.conftest import load_function
from tests.support.api import caller_for, get, invoke, rest_event
from tests.support.rate_limits import cold_start, redis_client

TEAMS = "/api/v2/analytics/conversations/teams"
LIMIT = 300
USAGE = "/api/v1/analytics/usage-patterns?start_date=2026-03-01&end_date=2026-03-08"


@pytest.fixture
def tenant(build):
    tenant = build.tenant()
    build.team(tenant, "Tier 1")
    return tenant


def key_caller(tenant, key_id: str) -> dict[str, str]:
    """The authorizer's context for an API key (aurion.authorizer)."""
    return {
        "tenant_id": str(tenant),
        "user_id": f"api_key:{key_id}",
        "role": "tenant_readonly",
        "auth": "api_key",
        "key_id": key_id,
    }


def assert_refused(response) -> None:
    assert response.status == 429, response.body
    assert response.body == {"detail": "API key rate limit exceeded", "limit": 300}
    assert response.header("X-RateLimit-Limit") == "300"
    assert response.header("X-RateLimit-Remaining") == "0"
    assert 1 <= int(response.header("Retry-After")) <= 60
    assert response.header("RateLimit-Policy") == "300;w=60"
    assert response.header("RateLimit").startswith("limit=300, remaining=0, reset=")


@pytest.mark.parametrize("storage", ["memory", "redis"], indirect=True)
def test_the_301st_request_of_a_key_in_a_minute_is_429_with_every_rate_limit_header(functions, storage, tenant):
    # Given a key that made 300 requests within the minute
    module, key_id = functions("conversation_analytics"), str(uuid.uuid4())
    remaining = []
    for _ in range(LIMIT):
        response = get(module, TEAMS, key_caller(tenant, key_id))
        assert response.status == 200, response.body
        remaining.append(int(response.header("X-RateLimit-Remaining")))
    assert remaining == list(range(LIMIT - 1, -1, -1))
    # When it makes one more
    refused = get(module, TEAMS, key_caller(tenant, key_id))
    # Then it is refused with the spec's body and every rate-limit header
    assert_refused(refused)


@pytest.mark.parametrize("storage", ["redis"], indirect=True)
def test_one_count_per_key_across_functions_and_execution_environments(storage, tenant):
    # Given 299 requests of a key to one function
    key_id = str(uuid.uuid4())
    conversations = load_function("conversation_analytics")
    for _ in range(LIMIT - 1):
        assert get(conversations, TEAMS, key_caller(tenant, key_id)).status == 200
    # When the same key calls another function, in a new execution environment
    cold_start()
    voice = load_function("voice_analytics")
    last = get(voice, USAGE, key_caller(tenant, key_id))
    refused = get(voice, USAGE, key_caller(tenant, key_id))
    # Then Redis counted them together: the 300th is allowed (0 left), the 301st refused
    assert (last.status, last.header("X-RateLimit-Remaining")) == (200, "0")
    assert_refused(refused)
    client = redis_client()
    keys = [key.decode() for key in client.scan_iter(match=f"{ratelimit.KEY_PREFIX}*")]
    assert keys == [f"{ratelimit.KEY_PREFIX}:api_key/{tenant}/{key_id}/300/1/minute"]
    client.close()


@pytest.mark.parametrize("storage", ["redis"], indirect=True)
def test_the_limit_is_per_key_and_dashboard_sessions_are_not_counted(functions, storage, tenant):
    module, key_id = functions("conversation_analytics"), str(uuid.uuid4())
    for _ in range(LIMIT):
        assert get(module, TEAMS, key_caller(tenant, key_id)).status == 200
    assert get(module, TEAMS, key_caller(tenant, key_id)).status == 429
    # Another key of the same tenant starts with its full allowance
    other = get(module, TEAMS, key_caller(tenant, str(uuid.uuid4())))
    assert (other.status, other.header("X-RateLimit-Remaining")) == (200, "299")
    # A dashboard session carries no per-key headers and is not limited by them
    session = get(module, TEAMS, caller_for(tenant, "tenant_readonly"))
    assert session.status == 200
    assert session.header("X-RateLimit-Limit") is None


@pytest.mark.parametrize("storage", ["redis-down"], indirect=True)
def test_redis_down_still_answers_keys_and_counts_them_in_the_instance(functions, storage, tenant):
    module, key_id = functions("conversation_analytics"), str(uuid.uuid4())
    first = get(module, TEAMS, key_caller(tenant, key_id))
    assert first.status == 200
    assert first.header("X-RateLimit-Remaining") == "299"


def test_error_answers_to_a_key_carry_its_rate_limit_headers_too(functions, app_env, build):
    # Given a key of a tenant below the Professional plan (the plan gate answers 403)
    starter = build.tenant(plan="starter")
    response = get(functions("conversation_analytics"), TEAMS, key_caller(starter, str(uuid.uuid4())))
    assert response.status == 403
    assert response.header("X-RateLimit-Remaining") == "299"


def test_a_phone_search_by_a_key_reports_the_tighter_search_limit(functions, app_env, tenant):
    query = "/api/v1/analytics/search?phone=%2B33612345678&start_date=2026-03-01&end_date=2026-03-08"
    response = get(functions("call_search"), query, key_caller(tenant, str(uuid.uuid4())))
    assert response.status == 200, response.body
    assert response.header("X-RateLimit-Limit") == "10"


@pytest.mark.parametrize(
    ("function", "method", "path"),
    [("exports", "GET", "/api/v1/analytics/exports"), ("api_keys", "GET", "/api/v2/analytics/api-keys")],
)
def test_an_api_key_context_that_reached_an_admin_function_is_still_403(
    functions, app_env, tenant, function, method, path
):
    # Defence in depth: should the authorizer ever let a key through, its read-only role is not an admin role.
    response = invoke(functions(function), rest_event(method, path, caller=key_caller(tenant, str(uuid.uuid4()))))
    assert response.status == 403
