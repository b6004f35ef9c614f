"""Python and PostgreSQL round every rate and average the same way: one decimal, half away from zero.

The helpdesk: 16 conversations opened on 2025-05-06 (UTC) by one agent of one team, all medium priority:
9 resolved by the AI, 4 by a human, 3 open; 13 escalated; 9 on topic "billing"; 9 answered within their
first-response target, 7 late. So 9/16 = 56.25 % and 13/16 = 81.25 %: exact ties, 56.3 and 81.3.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from aurion.metrics.common import pct
from aurion.rollups import aggregator
from tests.support.api import caller_for, get
from tests.support.builders import at

BASE = "/api/v2/analytics/conversations"
RANGE = "date_from=2025-05-06&date_to=2025-05-06"


def test_sql_percentages_equal_the_python_ones_for_every_small_count(owner_conn):
    # Given every part/whole with whole up to 160 (ties such as 9/16, 13/16, 57/80 among them)
    rows = owner_conn.run(
        "SELECT part, whole, aurion_pct(part, whole)::text "
        "FROM generate_series(1, 160) AS whole, generate_series(0, whole) AS part"
    )

    # Then aurion_pct and pct() give the same one-decimal value every time
    assert rows
    mismatches = [(part, whole, sql) for part, whole, sql in rows if float(sql) != pct(part, whole)]
    assert mismatches == []
    assert {(part, whole): sql for part, whole, sql in rows if (part, whole) in {(9, 16), (13, 16), (57, 80)}} == {
        (9, 16): "56.3",
        (13, 16): "81.3",
        (57, 80): "71.3",
    }


def test_sql_averages_round_the_exact_numeric_half_away_from_zero(owner_conn):
    # Given averages and numerics whose second decimal is an exact 5
    [row] = owner_conn.run(
        "SELECT aurion_round1(avg(x))::text, aurion_round1(-16.25::numeric)::text, "
        "       aurion_round1(123456789012345.25::numeric)::text, aurion_round1(0.15::float8)::text "
        "FROM (VALUES (1), (1), (1), (2)) AS v (x)"
    )

    # Then each rounds away from zero: (1 + 1 + 1 + 2) / 4 = 1.25 -> 1.3; -16.25 -> -16.3; a numeric keeps every
    # digit (through a float, 123456789012345.25 lost its decimals); the float 0.15 rounds by its decimal form
    assert row == ["1.3", "-16.3", "123456789012345.3", "0.2"]


@pytest.fixture
def sixteen(build):
    tenant = build.tenant()
    team = build.team(tenant, "Tier 1")
    agent = build.user(tenant, "Jane Doe", team_id=team)
    for index in range(16):
        created = at("2025-05-06 08:00") + timedelta(minutes=10 * index)
        fields = {
            "assignee_user_id": agent,
            "team_id": team,
            "escalated": index < 13,
            "topic": "billing" if index < 9 else "login",
            "first_response_due_at": created + timedelta(minutes=30),
            "first_response_at": created + timedelta(minutes=20 if index < 9 else 40),
        }
        if index < 13:
            fields |= {"resolved_at": created + timedelta(hours=2), "resolved_by": "ai" if index < 9 else "human"}
        build.conversation(tenant, created, **fields)
    return tenant


@pytest.mark.parametrize("read_from", ["raw rows", "rollups"])
def test_nine_of_sixteen_is_56_3_percent_on_every_route(functions, sixteen, aggregator_db, read_from):
    # Given the 16 conversations, read raw or from the rollups after an aggregator run
    if read_from == "rollups":
        assert not aggregator.run_tenant(aggregator_db, str(sixteen)).skipped
    app, caller = functions("conversation_analytics"), caller_for(sixteen)

    def ask(path: str) -> dict:
        response = get(app, f"{BASE}/{path}?{RANGE}", caller)
        assert response.status == 200, response.body
        return response.body

    # When the overview, resolution rates, SLA compliance and insights are asked
    overview, rates = ask("overview"), ask("resolution-rates")
    sla, insights = ask("sla-compliance"), ask("insights")

    # Then 9/16 and 13/16 round half away from zero wherever they appear
    assert (overview["ai_resolution_rate"], overview["escalation_rate"]) == (56.3, 81.3)
    assert (rates["ai_resolution_rate"], rates["human_resolution_rate"], rates["resolution_rate"]) == (56.3, 25.0, 81.3)
    assert rates["by_priority"][0]["resolution_rate"] == 81.3
    assert sla["first_response"] == {"tracked": 16, "met": 9, "breached": 7, "compliance_rate": 56.3}
    assert [(topic["topic"], topic["share"]) for topic in insights["top_topics"]] == [
        ("billing", 56.3),
        ("login", 43.8),
    ]
    assert insights["agent_performance"][0]["resolution_rate"] == 81.3
    assert insights["team_performance"][0]["resolution_rate"] == 81.3
