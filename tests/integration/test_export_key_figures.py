"""An export's key figures are the API's answers for the same range: both read one fact definition per metric.

The tenant is rolled up to 2026-03-05, so the API reads rollup days plus raw rows for the range, while the
export's daily datasets read the raw rows bucketed by its own days: equal figures mean equal definitions. Each
summary dataset of the JSON export (the same rows every format writes) is compared with the API's answer, and a
few figures are checked against values worked out by hand.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from aurion.rollups import aggregator
from tests.support.api import caller_for, get
from tests.support.builders import at

V1, V2 = "/api/v1/analytics", "/api/v2/analytics/conversations"
# The export's period in UTC, as the v2 range (whole seconds: no row of the data set falls in the last one).
V2_RANGE = "date_from=2026-03-01T00:00:00Z&date_to=2026-03-08T23:59:59Z"
PARIS_DAYS = "start_date=2026-03-01&end_date=2026-03-08&tz=Europe/Paris"


@pytest.fixture
def helpdesk(exports, build, aggregator_db, frozen_clock):
    """Four conversations, three ratings and four calls over 2026-03-01..08, rolled up to 2026-03-05."""
    tenant = exports.tenant
    tier1, tier2 = build.team(tenant, "Tier 1"), build.team(tenant, "Tier 2")
    jane = build.user(tenant, "Jane Doe", team_id=tier1)
    bob = build.user(tenant, "Bob Stone", team_id=tier2)
    # First response met (10 min of 30), resolved by the AI after its resolution target: breached.
    cv1 = build.conversation(
        tenant, at("2026-03-02 10:00"), priority="high", team_id=tier1, assignee_user_id=jane,
        first_response_at=at("2026-03-02 10:10"), first_response_due_at=at("2026-03-02 10:30"),
        resolved_at=at("2026-03-02 12:00"), resolved_by="ai", resolution_due_at=at("2026-03-02 11:00"),
    )  # fmt: skip
    # First response breached (45 min of 15), resolved by an agent in time: met.
    cv2 = build.conversation(
        tenant, at("2026-03-03 09:00"), channel="chat", priority="urgent", team_id=tier1, assignee_user_id=jane,
        first_response_at=at("2026-03-03 09:45"), first_response_due_at=at("2026-03-03 09:15"),
        resolved_at=at("2026-03-03 10:00"), resolved_by="human", resolution_due_at=at("2026-03-03 11:00"),
    )  # fmt: skip
    # Never answered, past its due time by the clock's 2026-03-09: breached; escalated.
    build.conversation(
        tenant, at("2026-03-06 15:00"), team_id=tier2, assignee_user_id=bob, escalated=True,
        first_response_due_at=at("2026-03-06 16:00"),
    )  # fmt: skip
    # No target, resolved by the AI.
    cv4 = build.conversation(
        tenant, at("2026-03-07 08:00"), channel="chat", priority="low", resolved_at=at("2026-03-07 09:00"),
        resolved_by="ai",
    )  # fmt: skip
    build.csat(tenant, cv1, at("2026-03-02 12:30"), responded_at=at("2026-03-02 13:00"), rating=5)
    build.csat(tenant, cv2, at("2026-03-03 10:30"), responded_at=at("2026-03-03 11:00"), rating=2)
    build.csat(tenant, cv4, at("2026-03-07 09:30"), responded_at=at("2026-03-07 10:00"), rating=4)
    build.call(tenant, at("2026-02-28 23:30"), duration_seconds=120, first_call_resolution=True)  # 03-01 in Paris
    build.call(tenant, at("2026-03-02 09:15"), duration_seconds=245, outcome="ticket_created")
    build.call(tenant, at("2026-03-06 12:00"), status="failed", duration_seconds=0, outcome="abandoned")
    build.call(tenant, at("2026-03-08 22:30"), duration_seconds=300, outcome="escalated")  # 03-08 in Paris
    aggregator.run_tenant(aggregator_db, str(tenant), now=datetime(2026, 3, 5, 6, 0, tzinfo=UTC))
    return exports


def _export(helpdesk, scope: str, tz: str = "UTC", **fields: Any) -> dict[str, Any]:
    _item, data = helpdesk.produce(format="json", scope=scope, tz=tz, **fields)
    return dict(json.loads(data))


def _ask(helpdesk, functions, function: str, url: str) -> Any:
    response = get(functions(function), url, caller_for(helpdesk.tenant, "tenant_admin"))
    assert response.status == 200, response.body
    return response.body


def _bucket(bucket: dict[str, Any]) -> tuple[Any, ...]:
    return bucket["tracked"], bucket["met"], bucket["breached"], bucket["compliance_rate"]


def test_the_sla_and_csat_figures_of_an_export_are_the_apis(helpdesk, functions):
    # When the sla_quality scope is exported and the API is asked for the same range
    exported = _export(helpdesk, "sla_quality")
    sla = _ask(helpdesk, functions, "conversation_analytics", f"{V2}/sla-compliance?{V2_RANGE}")
    csat = _ask(helpdesk, functions, "conversation_analytics", f"{V2}/csat?{V2_RANGE}")

    # Then each summary row is the API's figure
    summary = {row["target"]: _bucket(row) for row in exported["sla_summary"]}
    assert summary == {"first_response": _bucket(sla["first_response"]), "resolution": _bucket(sla["resolution"])}
    assert [(row["priority"], *_bucket(row)) for row in exported["sla_by_priority"]] == [
        (row["priority"], *_bucket(row)) for row in sla["by_priority"]
    ]
    assert [(row["team_id"], row["team_name"], *_bucket(row)) for row in exported["sla_by_team"]] == [
        (row["team_id"], row["team_name"], *_bucket(row)) for row in sla["by_team"]
    ]
    # and the days (UTC here, the API's trend days) add up to the API's totals
    daily = exported["sla_daily"]
    assert sum(day["first_response_met"] for day in daily) == sla["first_response"]["met"]
    assert sum(day["first_response_breached"] for day in daily) == sla["first_response"]["breached"]
    assert sum(day["resolution_met"] for day in daily) == sla["resolution"]["met"]
    assert sum(day["resolution_breached"] for day in daily) == sla["resolution"]["breached"]
    assert [(day["day"], day["responses"], day["avg_rating"]) for day in exported["csat_daily"]] == [
        (day["day"], day["count"], day["avg_rating"]) for day in csat["trend"]
    ]
    assert sum(day["rated_responses"] for day in exported["csat_daily"]) == csat["rated_responses"]

    # and the figures are the hand-worked ones: first response met 1 of 3 decided, resolution 1 of 2
    assert summary == {"first_response": (3, 1, 2, 33.3), "resolution": (2, 1, 1, 50.0)}
    assert [(day["day"], day["first_response_breached"]) for day in daily] == [
        ("2026-03-02", 0), ("2026-03-03", 1), ("2026-03-06", 1),
    ]  # fmt: skip
    assert [(day["day"], day["avg_rating"], day["positive_rate"]) for day in exported["csat_daily"]] == [
        ("2026-03-02", 5.0, 100.0), ("2026-03-03", 2.0, 0.0), ("2026-03-07", 4.0, 100.0),
    ]  # fmt: skip


def test_the_resolution_figures_of_an_export_are_the_apis(helpdesk, functions):
    # When the resolution_rates scope is exported and the API is asked for the same range
    exported = _export(helpdesk, "resolution_rates", tz="Europe/Paris")
    rates = _ask(
        helpdesk, functions, "conversation_analytics",
        f"{V2}/resolution-rates?date_from=2026-03-01T00:00:00%2B01:00&date_to=2026-03-08T23:59:59%2B01:00",
    )  # fmt: skip
    calls = _ask(
        helpdesk,
        functions,
        "voice_analytics",
        f"{V1}/call-metrics?{PARIS_DAYS}",
    )

    # Then the overall and per-priority rows are the API's figures
    figures = ("total", "resolved", "ai_resolved", "human_resolved", "resolution_rate")
    overall, *per_priority = exported["resolution_by_priority"]
    assert overall["priority"] == "all"
    assert [overall[name] for name in figures] == [
        rates["total_conversations"], rates["resolved_count"], rates["ai_resolved_count"],
        rates["human_resolved_count"], rates["resolution_rate"],
    ]  # fmt: skip
    assert (overall["ai_resolution_rate"], overall["human_resolution_rate"]) == (
        rates["ai_resolution_rate"], rates["human_resolution_rate"],
    )  # fmt: skip
    assert [[row["priority"], *(row[name] for name in figures)] for row in per_priority] == [
        [row["priority"], *(row[name] for name in figures)] for row in rates["by_priority"]
    ]
    # and the days add up to the totals
    assert sum(day["total"] for day in exported["resolution_daily"]) == rates["total_conversations"]
    assert sum(day["ai_resolved"] for day in exported["resolution_daily"]) == rates["ai_resolved_count"]
    # and the call outcomes are call-metrics' breakdown
    assert [(row["outcome"], row["calls"], row["share_rate"]) for row in exported["call_outcomes"]] == [
        (row["outcome"], row["count"], row["percentage"]) for row in calls["outcome_breakdown"]
    ]

    # and the figures are the hand-worked ones: 3 of 4 resolved, 2 by the AI; four calls, one of each outcome
    assert [overall[name] for name in figures] == [4, 3, 2, 1, 75.0]
    assert [row["share_rate"] for row in exported["call_outcomes"]] == [25.0, 25.0, 25.0, 25.0]


def test_the_calls_per_day_of_an_export_are_call_metrics_volume_in_its_time_zone(helpdesk, functions):
    # When the voice scope (no call details) is exported in Europe/Paris and call-metrics asked for the same days
    exported = _export(helpdesk, "voice", tz="Europe/Paris", include_call_details=False)
    calls = _ask(
        helpdesk,
        functions,
        "voice_analytics",
        f"{V1}/call-metrics?{PARIS_DAYS}",
    )

    # Then each day's counts are the API's, and the days' KPIs add up to its KPIs
    days = exported["voice_daily"]
    assert [(day["day"], day["total_calls"], day["completed_calls"], day["failed_calls"]) for day in days] == [
        (day["date"], day["total_calls"], day["completed_calls"], day["failed_calls"]) for day in calls["call_volume"]
    ]
    kpis = calls["kpis"]
    for name in ("total_calls", "completed_calls", "failed_calls", "tickets_created", "escalation_count"):
        assert sum(day[name] for day in days) == kpis[name], name

    # and the days are the local ones worked out by hand: 23:30 UTC on Feb 28 is 00:30 on Mar 1 in Paris
    assert [(day["day"], day["total_calls"], day["avg_duration_seconds"]) for day in days] == [
        ("2026-03-01", 1, 120.0), ("2026-03-02", 1, 245.0), ("2026-03-06", 1, None), ("2026-03-08", 1, 300.0),
    ]  # fmt: skip


def test_the_agent_and_team_figures_of_an_export_are_the_insights_ones(helpdesk, functions):
    # When the performance scope is exported and the insights view asked for the same range
    exported = _export(helpdesk, "performance")
    insights = _ask(helpdesk, functions, "conversation_analytics", f"{V2}/insights?{V2_RANGE}")

    # Then the agent and team rows are the API's
    assert exported["agent_performance"] == insights["agent_performance"]
    assert exported["team_performance"] == insights["team_performance"]
    # and the figures are the hand-worked ones: Jane resolved both of hers, Bob none of his one
    assert [(row["assignee_name"], row["assigned_count"], row["resolution_rate"])
            for row in exported["agent_performance"]] == [("Jane Doe", 2, 100.0), ("Bob Stone", 1, 0.0)]  # fmt: skip
