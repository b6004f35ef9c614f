"""GET /api/v1/analytics/search: suffix matches through the index, redacted numbers, audit rows, clean logs.

| call   | number          | started (UTC)    | outcome        | status    | s   |
| s1     | +33612345678    | 2026-03-02 09:15 | ticket_created | completed | 245 |
| s2     | +33612345678    | 2026-03-04 10:00 | resolved       | completed | 90  |
| s3     | +447700905678   | 2026-03-03 08:00 | abandoned      | failed    | 0   |  same last 4 digits, other number
| s4     | +33612349999    | 2026-03-03 12:00 | resolved       | completed | 60  |  no match
| before | +33612345678    | 2026-02-20 10:00 | resolved       | completed | 60  |  before the range
| late   | +33612345678    | 2026-03-08 23:30 | voicemail      | completed | 30  |  Mar 9 00:30 in Paris
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass

import pytest

from aurion.auth.roles import READ_ROLES
from aurion.db import Database
from aurion.metrics.call_search import SEARCH_SQL, search_params
from aurion.voice_params import search_query
from tests.support.api import caller_for, get, invoke, rest_event
from tests.support.builders import Builder, at

PATH = "/api/v1/analytics/search"
WEEK = "start_date=2026-03-01&end_date=2026-03-08"
NUMBER = "+33612345678"
# What must never appear outside PostgreSQL: the numbers' digits beyond the last four.
SECRET_DIGITS = ("33612345678", "3361234", "612345678", "447700905678", "4477009")


@dataclass
class SearchScenario:
    tenant: uuid.UUID
    calls: dict[str, uuid.UUID]


def build_search_scenario(build: Builder) -> SearchScenario:
    tenant = build.tenant()
    spec = {
        "s1": (NUMBER, "2026-03-02 09:15", "ticket_created", "completed", 245),
        "s2": (NUMBER, "2026-03-04 10:00", "resolved", "completed", 90),
        "s3": ("+447700905678", "2026-03-03 08:00", "abandoned", "failed", 0),
        "s4": ("+33612349999", "2026-03-03 12:00", "resolved", "completed", 60),
        "before": (NUMBER, "2026-02-20 10:00", "resolved", "completed", 60),
        "late": (NUMBER, "2026-03-08 23:30", "voicemail", "completed", 30),
    }
    calls = {
        name: build.call(
            tenant, at(started), phone_number=number, outcome=outcome, status=status, duration_seconds=seconds
        )
        for name, (number, started, outcome, status, seconds) in spec.items()
    }
    return SearchScenario(tenant=tenant, calls=calls)


@pytest.fixture
def scenario(build):
    return build_search_scenario(build)


@pytest.fixture
def search(functions, scenario):
    def call(query: str, *, role: str = "agent", user_id=None, tenant=None):
        caller = caller_for(tenant or scenario.tenant, role, user_id)
        return get(functions("call_search"), f"{PATH}?{query}", caller)

    return call


def ok(response):
    assert response.status == 200, response.body
    return response.body


def test_a_full_number_finds_its_calls_newest_first_redacted(search, scenario):
    body = ok(search(f"phone=%2B33612345678&{WEEK}"))
    assert body == {
        "results": [
            {
                "call_id": str(scenario.calls["late"]),
                "phone_number_redacted": "***-***-5678",
                "start_time": "2026-03-08T23:30:00Z",
                "duration_seconds": 30,
                "outcome": "voicemail",
                "status": "completed",
            },
            {
                "call_id": str(scenario.calls["s2"]),
                "phone_number_redacted": "***-***-5678",
                "start_time": "2026-03-04T10:00:00Z",
                "duration_seconds": 90,
                "outcome": "resolved",
                "status": "completed",
            },
            {
                "call_id": str(scenario.calls["s1"]),
                "phone_number_redacted": "***-***-5678",
                "start_time": "2026-03-02T09:15:00Z",
                "duration_seconds": 245,
                "outcome": "ticket_created",
                "status": "completed",
            },
        ],
        "total_count": 3,  # "before" is outside the range; s3 ends with 5678 but not with 33612345678
        "search_term_redacted": "***-***-5678",
    }


def test_the_last_four_digits_match_every_number_ending_with_them(search, scenario):
    body = ok(search(f"phone=5678&{WEEK}"))
    assert [row["call_id"] for row in body["results"]] == [
        str(scenario.calls[name]) for name in ("late", "s2", "s3", "s1")
    ]
    assert body["total_count"] == 4


def test_separators_are_ignored(search):
    body = ok(search(f"phone=%2B33%20(6)%2012-34.56.78&{WEEK}"))
    assert body["total_count"] == 3


def test_total_count_counts_every_match_not_only_the_page(search, scenario):
    body = ok(search(f"phone=5678&{WEEK}&limit=2"))
    assert [row["call_id"] for row in body["results"]] == [str(scenario.calls["late"]), str(scenario.calls["s2"])]
    assert body["total_count"] == 4


def test_no_match_is_an_empty_list(search):
    assert ok(search(f"phone=1234&{WEEK}")) == {"results": [], "total_count": 0, "search_term_redacted": "***-***-1234"}


def test_the_range_is_whole_days_in_tz(search, scenario):
    # In Paris the range ends Mar 8 23:00Z: "late" (23:30Z) is on Mar 9 there.
    body = ok(search(f"phone=5678&{WEEK}&tz=Europe/Paris"))
    assert str(scenario.calls["late"]) not in [row["call_id"] for row in body["results"]]
    assert body["total_count"] == 3


def test_another_tenants_calls_are_never_found(search, build):
    other = build_search_scenario(build)
    mine = ok(search(f"phone=5678&{WEEK}"))
    assert mine["total_count"] == 4
    assert not {str(call) for call in other.calls.values()} & {row["call_id"] for row in mine["results"]}
    assert ok(search(f"phone=5678&{WEEK}", tenant=build.tenant()))["total_count"] == 0


@pytest.mark.parametrize("role", sorted(READ_ROLES))
def test_every_read_role_may_search(search, role):
    assert ok(search(f"phone=5678&{WEEK}", role=role))["total_count"] == 4


def test_no_raw_number_in_any_response(search):
    for query in (f"phone=%2B33612345678&{WEEK}", f"phone=5678&{WEEK}", f"phone=%2B447700905678&{WEEK}"):
        text = json.dumps(ok(search(query)))
        assert not [secret for secret in SECRET_DIGITS if secret in text]
        # Every number-like value in the body is the redacted form.
        assert set(re.findall(r"\*\*\*-\*\*\*-\d{4}", text)) <= {"***-***-5678"}


def audit_rows(owner_conn, tenant):
    rows = owner_conn.run(
        "SELECT actor_user_id, action, target_redacted, result_count, request_id, outcome, created_at "
        "FROM audit_log WHERE tenant_id = :tenant ORDER BY id",
        tenant=tenant,
    )
    names = ["actor_user_id", "action", "target_redacted", "result_count", "request_id", "outcome", "created_at"]
    return [dict(zip(names, row, strict=True)) for row in rows]


def test_every_search_writes_one_audit_row_with_the_redacted_term(functions, scenario, owner_conn):
    user = str(uuid.uuid4())
    event = rest_event("GET", f"{PATH}?phone=%2B33612345678&{WEEK}", caller=caller_for(scenario.tenant, "agent", user))
    assert invoke(functions("call_search"), event).status == 200
    nothing = rest_event("GET", f"{PATH}?phone=0000&{WEEK}", caller=caller_for(scenario.tenant, "agent", user))
    assert invoke(functions("call_search"), nothing).status == 200
    rows = audit_rows(owner_conn, scenario.tenant)
    assert [{k: v for k, v in row.items() if k != "created_at"} for row in rows] == [
        {
            "actor_user_id": user,
            "action": "call_search",
            "target_redacted": "***-***-5678",
            "result_count": 3,
            "request_id": event["requestContext"]["requestId"],
            "outcome": "allowed",
        },
        {
            "actor_user_id": user,
            "action": "call_search",
            "target_redacted": "***-***-0000",
            "result_count": 0,
            "request_id": nothing["requestContext"]["requestId"],
            "outcome": "allowed",
        },
    ]
    assert all(row["created_at"] is not None for row in rows)


def test_invalid_input_and_forbidden_callers_leave_no_audit_row(search, scenario, build, owner_conn):
    assert search(f"phone=12&{WEEK}").status == 422
    assert search(f"phone=5678&{WEEK}", role="billing").status == 403
    starter = build.tenant(plan="starter")
    assert search(f"phone=5678&{WEEK}", tenant=starter).status == 403
    assert audit_rows(owner_conn, scenario.tenant) == []
    assert audit_rows(owner_conn, starter) == []


def test_no_raw_number_in_any_log_line_even_at_debug(search, scenario, owner_conn, caplog, capfd):
    aurion_logger = logging.getLogger("aurion-analytics")
    level = aurion_logger.level
    aurion_logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        for query in (
            f"phone=%2B33612345678&{WEEK}",
            f"phone=%2B33%206%2012%2034%2056%2078&{WEEK}",
            f"phone=%2B447700905678&{WEEK}&limit=1",
            f"phone=33612345678x&{WEEK}",
        ):
            search(query)
    finally:
        aurion_logger.setLevel(level)
    out, err = capfd.readouterr()
    raw_records = "\n".join(repr(vars(record)) for record in caplog.records)
    captured = "\n".join((out, err, caplog.text, raw_records))
    assert "call search" in captured  # the searches were logged...
    assert "Calling API Route Handler" in captured  # ...and so were the resolver's route arguments, at DEBUG
    assert not [secret for secret in SECRET_DIGITS if secret in captured]
    assert "33612345678" not in re.sub(r"\D", "", out + err + caplog.text)
    stored = audit_rows(owner_conn, scenario.tenant)
    assert len(stored) == 3  # the malformed 4th search was a 422
    assert not [row for row in stored if any(secret in str(row) for secret in SECRET_DIGITS)]


def test_the_search_reads_the_suffix_index_not_the_tenants_calls(app_env, build, owner_conn):
    # Given a tenant with 5,000 calls (random numbers over half a year) and fresh statistics
    tenant = build.tenant()
    owner_conn.run(
        "INSERT INTO calls (id, tenant_id, phone_number, direction, started_at, ended_at, duration_seconds, "
        "status, outcome) "
        "SELECT gen_random_uuid(), CAST(:tenant AS uuid), "
        "'+336' || lpad((floor(random() * 1e8))::bigint::text, 8, '0'), "
        "'inbound', ts, ts + interval '1 minute', 60, 'completed', 'resolved' "
        "FROM (SELECT timestamptz '2026-01-01 00:00Z' + i * interval '53 minutes' AS ts "
        "      FROM generate_series(1, 5000) AS i) AS t",
        tenant=str(tenant),
    )
    build.call(tenant, at("2026-03-02 09:15"), phone_number="+33600002468")
    owner_conn.run("ANALYZE calls")
    # (Not ...5678: the builders' default number ends so, and other tests' calls make it frequent in the statistics.)
    query = search_query("2468", "2026-01-01", "2026-06-30", "UTC", 50)
    # When the app role plans the search exactly as the function runs it (same SQL, same parameters, RLS on)
    database = Database(app_env.database.app_url, statement_timeout_ms=10_000, connect_timeout_s=5)
    try:
        with database.transaction(str(tenant)) as tx:
            rows = tx.all("EXPLAIN (FORMAT JSON) " + SEARCH_SQL, **search_params(str(tenant), query))
            found = tx.all(SEARCH_SQL, **search_params(str(tenant), query))
    finally:
        database.close()
    plan = rows[0]["QUERY PLAN"]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = list(_plan_nodes(plan[0]["Plan"]))
    # Then the calls are read through the suffix index, with the reversed digits as a range condition...
    suffix_scans = [node for node in nodes if node.get("Index Name") == "calls_tenant_phone_suffix_idx"]
    assert suffix_scans, json.dumps(plan, indent=1)
    assert "phone_digits_reversed ~>=~ '8642'" in suffix_scans[0]["Index Cond"]
    assert "phone_digits_reversed ~<~ '8643'" in suffix_scans[0]["Index Cond"]
    # ...and never by scanning the table
    assert not [node for node in nodes if node["Node Type"] == "Seq Scan"]
    assert found
    assert found[0]["last_digits"] == "2468"


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)
