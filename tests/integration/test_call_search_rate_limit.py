"""The phone search's rate limit: 10 per minute per user (moving window), shared through Redis, audited when refused,
and failing open to a per-instance limit when Redis is down.

Redis tests use REDIS_URL when it is set, else redis://127.0.0.1:6379/15, and are skipped when neither answers.
Their keys carry a prefix unique to this test run, removed afterwards.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from aurion import ratelimit
from tests.conftest import load_function
from tests.support.api import caller_for, get, invoke, rest_event
from tests.support.builders import at
from tests.support.rate_limits import UNREACHABLE_REDIS, cold_start, redis_client

PATH = "/api/v1/analytics/search"
QUERY = "phone=%2B33612345678&start_date=2026-03-01&end_date=2026-03-08"


@pytest.fixture
def tenant(build):
    tenant = build.tenant()
    build.call(tenant, at("2026-03-02 09:15"))
    return tenant


def search(module, tenant, user):
    return get(module, f"{PATH}?{QUERY}", caller_for(tenant, "agent", user))


def audit_outcomes(owner_conn, tenant, user):
    rows = owner_conn.run(
        "SELECT outcome, result_count, target_redacted FROM audit_log "
        "WHERE tenant_id = :tenant AND actor_user_id = :user ORDER BY id",
        tenant=tenant,
        user=user,
    )
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("storage", ["memory", "redis"], indirect=True)
def test_the_eleventh_search_in_a_minute_is_429_with_the_rate_limit_headers(functions, storage, tenant, owner_conn):
    module, user = functions("call_search"), str(uuid.uuid4())
    remaining = []
    for _ in range(10):
        response = search(module, tenant, user)
        assert response.status == 200, response.body
        assert response.header("X-RateLimit-Limit") == "10"
        remaining.append(int(response.header("X-RateLimit-Remaining")))
    assert remaining == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]

    refused = search(module, tenant, user)

    assert refused.status == 429
    assert refused.body == {"detail": "Search rate limit exceeded: at most 10 phone searches per minute", "limit": 10}
    assert refused.header("X-RateLimit-Limit") == "10"
    assert refused.header("X-RateLimit-Remaining") == "0"
    assert 1 <= int(refused.header("Retry-After")) <= 60
    assert refused.header("RateLimit-Policy") == "10;w=60"
    # Ten allowed searches and the refused one, each audited; the refusal found nothing and disclosed nothing.
    outcomes = audit_outcomes(owner_conn, tenant, user)
    assert outcomes == [("allowed", 1, "***-***-5678")] * 10 + [("rate_limited", 0, "***-***-5678")]


@pytest.mark.parametrize("storage", ["memory", "redis"], indirect=True)
def test_a_refused_search_keeps_its_audit_row_and_its_request_id(functions, storage, tenant, owner_conn):
    module, user = functions("call_search"), str(uuid.uuid4())
    for _ in range(10):
        assert search(module, tenant, user).status == 200
    event = rest_event("GET", f"{PATH}?{QUERY}", caller=caller_for(tenant, "agent", user))
    assert invoke(module, event).status == 429
    rows = owner_conn.run(
        "SELECT request_id, outcome FROM audit_log WHERE tenant_id = :tenant AND actor_user_id = :user "
        "ORDER BY id DESC LIMIT 1",
        tenant=tenant,
        user=user,
    )
    assert rows == [[event["requestContext"]["requestId"], "rate_limited"]]


@pytest.mark.parametrize("storage", ["memory", "redis"], indirect=True)
def test_the_limit_is_per_user_and_per_tenant(functions, storage, tenant, build):
    module, user = functions("call_search"), str(uuid.uuid4())
    for _ in range(10):
        assert search(module, tenant, user).status == 200
    assert search(module, tenant, user).status == 429
    # Another user of the same tenant, and the same user id in another tenant, start with a full allowance.
    colleague = search(module, tenant, str(uuid.uuid4()))
    assert (colleague.status, colleague.header("X-RateLimit-Remaining")) == (200, "9")
    elsewhere = search(module, build.tenant(), user)
    assert (elsewhere.status, elsewhere.header("X-RateLimit-Remaining")) == (200, "9")


@pytest.mark.parametrize("storage", ["redis"], indirect=True)
def test_the_counter_is_shared_by_two_execution_environments_through_redis(storage, tenant):
    user = str(uuid.uuid4())
    first = load_function("call_search")
    for _ in range(6):
        assert search(first, tenant, user).status == 200

    cold_start()  # a second execution environment: its own import, settings, connection and limiter
    second = load_function("call_search")
    assert second is not first
    statuses = [search(second, tenant, user).status for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]
    client = redis_client()
    keys = [key.decode() for key in client.scan_iter(match=f"{ratelimit.KEY_PREFIX}*")]
    assert keys == [f"{ratelimit.KEY_PREFIX}:call_search/{tenant}/{user}/10/1/minute"]
    assert client.llen(keys[0]) == 10  # the refused search was not counted
    client.close()


@pytest.mark.parametrize("storage", ["memory"], indirect=True)
def test_without_redis_each_execution_environment_counts_alone(storage, tenant):
    # The control for the test above: in memory, a new environment starts from zero.
    user = str(uuid.uuid4())
    first = load_function("call_search")
    for _ in range(10):
        assert search(first, tenant, user).status == 200
    cold_start()
    assert search(load_function("call_search"), tenant, user).status == 200


@pytest.mark.parametrize("storage", ["redis-down"], indirect=True)
def test_redis_down_fails_open_to_a_per_instance_limit_with_a_warning(functions, storage, tenant, caplog, owner_conn):
    module, user = functions("call_search"), str(uuid.uuid4())
    caplog.set_level(logging.INFO)

    answers = [search(module, tenant, user) for _ in range(11)]

    # The searches are answered, still counted (in this instance), and the 11th is still refused.
    assert [answer.status for answer in answers] == [200] * 10 + [429]
    assert answers[0].body["total_count"] == 1
    assert answers[0].header("X-RateLimit-Remaining") == "9"
    assert answers[10].header("Retry-After") is not None
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1  # once, then Redis is left alone for 30 s
    assert warnings[0].getMessage() == "rate-limit store unreachable, counting in this instance until it is back"
    logged = caplog.text + "".join(repr(vars(record)) for record in caplog.records)
    assert "127.0.0.1:1" not in logged
    assert "33612345678" not in logged
    assert [outcome for outcome, _, _ in audit_outcomes(owner_conn, tenant, user)] == ["allowed"] * 10 + [
        "rate_limited"
    ]


def _kill_redis_under(limiter: ratelimit.UserRateLimiter) -> None:
    """Redis dies under a running instance: its limiter's store now points at a port nothing listens on."""
    dead = ratelimit.UserRateLimiter(limiter.item.namespace, limiter.item.amount, UNREACHABLE_REDIS)
    limiter._shared = dead._shared


@pytest.mark.parametrize("storage", ["redis"], indirect=True)
def test_redis_dying_right_after_a_user_spent_the_limit_does_not_give_a_fresh_window(functions, storage, tenant):
    # Given a user who spent the 10 searches of the minute while Redis counted them
    module, user = functions("call_search"), str(uuid.uuid4())
    assert [search(module, tenant, user).status for _ in range(10)] == [200] * 10
    # When Redis dies on the same instance
    _kill_redis_under(ratelimit.search_limiter())
    # Then the instance's own count already holds those 10: the 11th is refused, counted in memory
    refused = search(module, tenant, user)
    assert refused.status == 429, refused.body
    assert refused.header("X-RateLimit-Remaining") == "0"


@pytest.mark.parametrize("storage", ["memory", "redis"], indirect=True)
def test_a_subject_spelled_in_another_case_shares_the_count(functions, storage, tenant):
    # Given a user who spent the limit under one spelling of their subject
    module, user = functions("call_search"), f"User-{uuid.uuid4()}"
    assert [search(module, tenant, user).status for _ in range(10)] == [200] * 10
    # When a token spells the same subject in other cases, then it is the same count
    assert search(module, tenant, user.upper()).status == 429
    assert search(module, tenant, user.lower()).status == 429
