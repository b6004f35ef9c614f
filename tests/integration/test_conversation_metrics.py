"""Every v2 conversation metric against the hand-built scenario (arithmetic in each test)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import aurion.metrics.health as health
from tests.integration.conversation_scenario import RANGE, build_scenario
from tests.support.api import caller_for, get

BASE = "/api/v2/analytics/conversations"


@pytest.fixture
def scenario(build):
    return build_scenario(build)


@pytest.fixture
def ask(functions, scenario):
    def call(path: str, query: str = RANGE, role: str = "agent"):
        response = get(functions("conversation_analytics"), f"{BASE}/{path}?{query}", caller_for(scenario.tenant, role))
        assert response.status == 200, response.body
        return response.body

    return call


def test_overview_counts_rates_average_and_median_of_conversations_created_in_range(ask):
    # c1..c5 are in range; "before" (Feb 20) is not.
    assert ask("overview") == {
        "total_conversations": 5,
        "ai_resolved_count": 2,  # c1, c4
        "ai_resolution_rate": 40.0,  # 2 / 5
        "human_resolved_count": 1,  # c2
        "escalation_rate": 20.0,  # c2 / 5
        "first_response_minutes_avg": 16.3,  # (10 + 30 + 5 + 20) / 4 = 16.25, rounded half up
        "resolution_minutes_median": 120.0,  # median of 60, 120, 240
        "channel_distribution": [
            {"channel": "email", "conversation_count": 3},
            {"channel": "chat", "conversation_count": 1},
            {"channel": "voice", "conversation_count": 1},
        ],
    }


def test_sla_compliance_tracks_every_target_and_rates_the_decided_ones(ask, scenario):
    body = ask("sla-compliance")
    # First response: c1 met; c2 late; c3 never answered and past due; c5 late; c4 has no target.
    assert body["first_response"] == {"tracked": 4, "met": 1, "breached": 3, "compliance_rate": 25.0}
    # Resolution: c1 met; c2 late; c3 unresolved past due; c5 unresolved but due in 2099: tracked, not decided.
    # Compliance over the decided ones: 1 / (1 + 2).
    assert body["resolution"] == {"tracked": 4, "met": 1, "breached": 2, "compliance_rate": 33.3}
    # urgent: c5 pending (nothing decided: 0.0); high: c1 met; medium: c2, c3 breached.
    assert body["by_priority"] == [
        {"priority": "urgent", "tracked": 1, "met": 0, "breached": 0, "compliance_rate": 0.0},
        {"priority": "high", "tracked": 1, "met": 1, "breached": 0, "compliance_rate": 100.0},
        {"priority": "medium", "tracked": 2, "met": 0, "breached": 2, "compliance_rate": 0.0},
    ]
    # Billing: c2 breached, c5 pending; Tier 1: c1 met, c3 breached.
    assert body["by_team"] == [
        {
            "team_id": str(scenario.billing),
            "team_name": "Billing",
            "tracked": 2,
            "met": 0,
            "breached": 1,
            "compliance_rate": 0.0,
        },
        {
            "team_id": str(scenario.tier1),
            "team_name": "Tier 1",
            "tracked": 2,
            "met": 1,
            "breached": 1,
            "compliance_rate": 50.0,
        },
    ]


def test_csat_aggregates_responses_given_in_range(ask, scenario):
    body = ask("csat")
    # Responses in range: s1 (5), s2 (2), s3 (4), s4 (comment only). Unanswered and February ones excluded.
    assert body["total_responses"] == 4
    assert body["rated_responses"] == 3
    assert body["avg_rating"] == 3.7  # 11 / 3
    assert body["positive_responses"] == 2  # ratings 4 and 5
    assert body["positive_rate"] == 66.7  # 2 / 3 rated
    assert body["distribution"] == [
        {"rating": 5, "response_count": 1},
        {"rating": 4, "response_count": 1},
        {"rating": 2, "response_count": 1},
    ]
    assert body["trend"] == [
        {"day": "2026-03-02", "count": 1, "avg_rating": 5.0},
        {"day": "2026-03-03", "count": 1, "avg_rating": 2.0},
        {"day": "2026-03-04", "count": 1, "avg_rating": 4.0},
        {"day": "2026-03-05", "count": 1, "avg_rating": None},
    ]
    assert body["per_agent"] == [
        # Jane: s1 (5) on c1 and s4 (no rating) on c3. Bob: s2 (2) on c2. c4 is unassigned.
        {
            "assignee_user_id": str(scenario.jane),
            "assignee_name": "Jane Doe",
            "response_count": 2,
            "avg_rating": 5.0,
            "positive_rate": 100.0,
        },
        {
            "assignee_user_id": str(scenario.bob),
            "assignee_name": "Bob Stone",
            "response_count": 1,
            "avg_rating": 2.0,
            "positive_rate": 0.0,
        },
    ]


def test_csat_trend_covers_only_the_last_30_days_of_a_longer_range(ask):
    # Range Jan 1 .. Mar 2: the trend covers the last 30 days, Jan 31 .. Mar 2, which hold Feb 25 and Mar 2.
    body = ask("csat", "date_from=2026-01-01&date_to=2026-03-02")
    assert [day["day"] for day in body["trend"]] == ["2026-02-25", "2026-03-02"]
    body = ask("csat", "date_from=2026-01-01&date_to=2026-03-27")
    # The last 30 days end Mar 27 and start Feb 26: Feb 25 falls out of the trend but not of the totals.
    assert [day["day"] for day in body["trend"]] == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert body["total_responses"] == 5


def test_csat_filters_by_agent_and_by_team(ask, scenario):
    by_agent = ask("csat", f"{RANGE}&agent_id={scenario.bob}")
    assert (by_agent["total_responses"], by_agent["avg_rating"]) == (1, 2.0)
    by_team = ask("csat", f"{RANGE}&team_id={scenario.tier1}")
    assert (by_team["total_responses"], by_team["rated_responses"], by_team["avg_rating"]) == (2, 1, 5.0)


def test_csat_responses_are_newest_first_with_conversation_and_agent_context(ask, scenario):
    body = ask("csat/responses")
    assert body["total"] == 4
    assert [item["id"] for item in body["items"]] == [str(scenario.surveys[k]) for k in ("s4", "s3", "s2", "s1")]
    s1 = body["items"][3]
    assert s1 == {
        "id": str(scenario.surveys["s1"]),
        "conversation_id": str(scenario.conversations["c1"]),
        "contact_id": None,
        "rating": 5,
        "comment": "Great",
        "followup_answer": None,
        "channel": "email",
        "sent_at": "2026-03-02T11:05:00Z",
        "responded_at": "2026-03-02T12:00:00Z",
        "conversation_subject": "Test conversation",
        "assignee_user_id": str(scenario.jane),
        "assignee_name": "Jane Doe",
        "assignee_team_id": str(scenario.tier1),
        "assignee_team_name": "Tier 1",
    }


def test_csat_responses_paginate_with_limit_and_offset(ask, scenario):
    body = ask("csat/responses", f"{RANGE}&limit=2&offset=1")
    assert [item["id"] for item in body["items"]] == [str(scenario.surveys["s3"]), str(scenario.surveys["s2"])]
    assert (body["total"], body["limit"], body["offset"]) == (4, 2, 1)
    past_the_end = ask("csat/responses", f"{RANGE}&offset=10")
    assert (past_the_end["items"], past_the_end["total"]) == ([], 4)


def test_resolution_rates_split_ai_and_human_over_all_conversations_per_priority(ask):
    assert ask("resolution-rates") == {
        "total_conversations": 5,
        "resolved_count": 3,
        "ai_resolved_count": 2,
        "human_resolved_count": 1,
        "ai_resolution_rate": 40.0,
        "human_resolution_rate": 20.0,
        "resolution_rate": 60.0,
        "by_priority": [
            {
                "priority": "urgent",
                "total": 1,
                "resolved": 0,
                "ai_resolved": 0,
                "human_resolved": 0,
                "resolution_rate": 0.0,
            },
            {
                "priority": "high",
                "total": 1,
                "resolved": 1,
                "ai_resolved": 1,
                "human_resolved": 0,
                "resolution_rate": 100.0,
            },
            {
                "priority": "medium",
                "total": 2,
                "resolved": 1,
                "ai_resolved": 0,
                "human_resolved": 1,
                "resolution_rate": 50.0,
            },
            {
                "priority": "low",
                "total": 1,
                "resolved": 1,
                "ai_resolved": 1,
                "human_resolved": 0,
                "resolution_rate": 100.0,
            },
        ],
    }


def test_resolution_rates_filter_by_team(ask, scenario):
    body = ask("resolution-rates", f"{RANGE}&team_id={scenario.tier1}")
    # Tier 1: c1 (AI-resolved) and c3 (open).
    assert (body["total_conversations"], body["resolved_count"], body["ai_resolution_rate"]) == (2, 1, 50.0)


def test_insights_blocks(ask, scenario):
    body = ask("insights")
    assert body["busiest_hours"] == [
        {"hour_utc": 14, "conversation_count": 2},  # c3 14:00, c4 14:30
        {"hour_utc": 8, "conversation_count": 1},
        {"hour_utc": 9, "conversation_count": 1},
        {"hour_utc": 10, "conversation_count": 1},
    ]
    # VPN: c1, c2; Billing: c3, c5; c4 has no topic but counts in the denominator (5).
    assert body["top_topics"] == [
        {"topic": "Billing", "conversation_count": 2, "share": 40.0},
        {"topic": "VPN", "conversation_count": 2, "share": 40.0},
    ]
    assert body["agent_performance"] == [
        {
            "assignee_user_id": str(scenario.bob),
            "assignee_name": "Bob Stone",
            "assigned_count": 2,
            "resolved_count": 1,
            "resolution_rate": 50.0,
            "avg_first_response_minutes": 25.0,
            "avg_resolution_minutes": 240.0,
        },
        {
            "assignee_user_id": str(scenario.jane),
            "assignee_name": "Jane Doe",
            "assigned_count": 2,
            "resolved_count": 1,
            "resolution_rate": 50.0,
            "avg_first_response_minutes": 10.0,
            "avg_resolution_minutes": 120.0,
        },
    ]
    assert body["team_performance"] == [
        {
            "team_id": str(scenario.billing),
            "team_name": "Billing",
            "assigned_count": 2,
            "resolved_count": 1,
            "resolution_rate": 50.0,
            "avg_resolution_minutes": 240.0,
        },
        {
            "team_id": str(scenario.tier1),
            "team_name": "Tier 1",
            "assigned_count": 2,
            "resolved_count": 1,
            "resolution_rate": 50.0,
            "avg_resolution_minutes": 120.0,
        },
    ]
    # 4 views in range, one led to a conversation: 3 / 4 deflected. Feedback in range: 3 helpful, 1 not.
    assert body["help_center_deflection"] == {
        "article_count": 2,
        "total_views": 4,
        "helpful_feedback": 3,
        "not_helpful_feedback": 1,
        "deflection_rate": 75.0,
        "top_articles": [
            {
                "article_id": str(scenario.articles["vpn"]),
                "title": "Reset your VPN client",
                "slug": "reset-vpn-client",
                "view_count": 3,
                "helpful_count": 2,
                "not_helpful_count": 1,
            },
            {
                "article_id": str(scenario.articles["faq"]),
                "title": "Billing FAQ",
                "slug": "billing-faq",
                "view_count": 1,
                "helpful_count": 1,
                "not_helpful_count": 0,
            },
        ],
    }
    # Resolution SLA by day created: Mar 2 (c1 met, c2 breached), Mar 3 (c3 breached), Mar 5 (c5 pending:
    # tracked, nothing decided); c4 has no target.
    assert body["sla_breach_trend"] == [
        {"day": "2026-03-02", "tracked": 2, "breached": 1, "met": 1, "compliance_rate": 50.0},
        {"day": "2026-03-03", "tracked": 1, "breached": 1, "met": 0, "compliance_rate": 0.0},
        {"day": "2026-03-05", "tracked": 1, "breached": 0, "met": 0, "compliance_rate": 0.0},
    ]
    assert body["email_channel_metrics"] == {
        "total_channels": 2,
        "active_channels": 1,
        "email_conversations": 3,
        "inbound_messages": 2,
        "outbound_messages": 1,
        "bounced_contacts": 1,
        "complained_contacts": 1,
        "by_channel": [
            {
                "channel_id": str(scenario.channels["support"]),
                "address": "support@t.example",
                "status": "active",
                "conversation_count": 2,
            },
            {
                "channel_id": str(scenario.channels["billing"]),
                "address": "billing@t.example",
                "status": "inactive",
                "conversation_count": 1,
            },
        ],
    }
    assert body["metadata"] == {"date_from": "2026-03-01T00:00:00+00:00", "date_to": "2026-03-08T23:59:59+00:00"}
    assert body["csat"] == ask("csat")


def test_aggregation_health_reports_measured_runtimes_against_the_budget(ask):
    body = ask("aggregation-health")
    assert (body["target_conversation_volume"], body["per_query_budget_ms"], body["total_budget_ms"]) == (
        100000,
        500.0,
        2000.0,
    )
    parts = [body["overview_ms"], body["sla_compliance_ms"], body["agent_performance_ms"]]
    assert all(part > 0 for part in parts)
    assert body["total_runtime_ms"] == pytest.approx(sum(parts), abs=0.11)


def _stopwatch(monkeypatch: pytest.MonkeyPatch, *readings: float) -> None:
    """aurion.metrics.health's timer reads these seconds in turn (start, end of each of the three queries)."""
    values = iter(readings)
    monkeypatch.setattr(health, "time", SimpleNamespace(perf_counter=lambda: next(values)))


@pytest.mark.parametrize(
    ("readings", "target_met"),
    [
        # 120.4 + 300.0 + 499.9 = 920.3 ms: every query within 500 ms, the total within 2,000 ms
        ((0.0, 0.1204, 1.0, 1.3, 2.0, 2.4999), True),
        # the SLA query takes 500.1 ms: one query over its budget, though the total is 820.5 ms
        ((0.0, 0.1204, 1.0, 1.5001, 2.0, 2.2), False),
    ],
    ids=["within-budget", "one-query-over"],
)
def test_aggregation_health_meets_the_target_only_when_each_query_is_within_budget(
    ask, monkeypatch, readings, target_met
):
    # Given a timer whose readings are known
    _stopwatch(monkeypatch, *readings)
    # When health is asked for
    body = ask("aggregation-health")
    # Then the parts are those readings, in milliseconds, and the verdict is the hand-worked one
    assert [body["overview_ms"], body["sla_compliance_ms"], body["agent_performance_ms"]] == (
        [120.4, 300.0, 499.9] if target_met else [120.4, 500.1, 200.0]
    )
    assert body["target_met"] is target_met


def test_an_empty_range_returns_zero_counts_zero_rates_null_averages_and_empty_lists(ask):
    empty = "date_from=2020-01-01&date_to=2020-01-31"
    assert ask("overview", empty) == {
        "total_conversations": 0,
        "ai_resolved_count": 0,
        "ai_resolution_rate": 0.0,
        "human_resolved_count": 0,
        "escalation_rate": 0.0,
        "first_response_minutes_avg": None,
        "resolution_minutes_median": None,
        "channel_distribution": [],
    }
    assert ask("sla-compliance", empty) == {
        "first_response": {"tracked": 0, "met": 0, "breached": 0, "compliance_rate": 0.0},
        "resolution": {"tracked": 0, "met": 0, "breached": 0, "compliance_rate": 0.0},
        "by_priority": [],
        "by_team": [],
    }
    csat = ask("csat", empty)
    assert csat == {
        "total_responses": 0,
        "rated_responses": 0,
        "avg_rating": None,
        "positive_responses": 0,
        "positive_rate": 0.0,
        "distribution": [],
        "trend": [],
        "per_agent": [],
    }
    assert ask("csat/responses", empty) == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert ask("resolution-rates", empty)["by_priority"] == []
    insights = ask("insights", empty)
    assert insights["busiest_hours"] == insights["top_topics"] == insights["sla_breach_trend"] == []
    assert insights["help_center_deflection"]["deflection_rate"] == 0.0


def test_another_tenants_team_or_agent_id_behaves_like_an_unknown_id(ask, build):
    other = build_scenario(build)
    for query in (f"team_id={other.tier1}", f"agent_id={other.jane}"):
        body = ask("csat", f"{RANGE}&{query}")
        assert (body["total_responses"], body["per_agent"]) == (0, [])
        assert ask("csat/responses", f"{RANGE}&{query}")["total"] == 0
    assert ask("resolution-rates", f"{RANGE}&team_id={other.tier1}")["total_conversations"] == 0


def test_other_tenants_rows_never_count(ask, build):
    build_scenario(build)  # a second tenant with identical data
    assert ask("overview")["total_conversations"] == 5
