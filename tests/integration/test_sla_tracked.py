"""SLA buckets count every conversation with a target as tracked; compliance is over the decided ones.

Range under test: 2025-04-07 .. 2025-04-09 (UTC), read raw and then from the rollups. Targets "due 2099" are
open and not yet due on any day this suite runs: tracked, neither met nor breached.

    conv  created (UTC)    priority team   first response                 resolution
    m1    04-07 09:00      high     Alpha  09:05, due 09:30: met           10:00, due 12:00: met
    b1    04-07 10:00      medium   Bravo  11:00, due 10:30: breached      04-08 10:00, due 04-07 18:00: breached
    b2    04-08 08:00      medium   Alpha  none, due 08:30: breached       none, due 04-09 08:00: breached
    p1    04-08 12:00      low      Bravo  none, due 2099: pending         none, due 2099: pending
    p2    04-09 09:00      urgent   Bravo  09:10, due 09:15: met           none, due 2099: pending
    n1    04-09 10:00      low      -      no target                       no target
"""

from __future__ import annotations

import pytest

from aurion.rollups import aggregator
from tests.support.api import caller_for, get
from tests.support.builders import at

BASE = "/api/v2/analytics/conversations"
RANGE = "date_from=2025-04-07&date_to=2025-04-09"
DUE_2099 = at("2099-01-01 00:00")


def bucket(tracked: int, met: int, breached: int, rate: float) -> dict[str, float | int]:
    return {"tracked": tracked, "met": met, "breached": breached, "compliance_rate": rate}


@pytest.fixture
def helpdesk(build):
    tenant = build.tenant()
    alpha, bravo = build.team(tenant, "Alpha"), build.team(tenant, "Bravo")
    build.conversation(
        tenant, at("2025-04-07 09:00"), priority="high", team_id=alpha,
        first_response_at=at("2025-04-07 09:05"), first_response_due_at=at("2025-04-07 09:30"),
        resolved_at=at("2025-04-07 10:00"), resolved_by="human", resolution_due_at=at("2025-04-07 12:00"),
    )  # fmt: skip
    build.conversation(
        tenant, at("2025-04-07 10:00"), priority="medium", team_id=bravo,
        first_response_at=at("2025-04-07 11:00"), first_response_due_at=at("2025-04-07 10:30"),
        resolved_at=at("2025-04-08 10:00"), resolved_by="human", resolution_due_at=at("2025-04-07 18:00"),
    )  # fmt: skip
    build.conversation(
        tenant, at("2025-04-08 08:00"), priority="medium", team_id=alpha,
        first_response_due_at=at("2025-04-08 08:30"), resolution_due_at=at("2025-04-09 08:00"),
    )  # fmt: skip
    build.conversation(
        tenant, at("2025-04-08 12:00"), priority="low", team_id=bravo,
        first_response_due_at=DUE_2099, resolution_due_at=DUE_2099,
    )  # fmt: skip
    build.conversation(
        tenant, at("2025-04-09 09:00"), priority="urgent", team_id=bravo,
        first_response_at=at("2025-04-09 09:10"), first_response_due_at=at("2025-04-09 09:15"),
        resolution_due_at=DUE_2099,
    )  # fmt: skip
    build.conversation(tenant, at("2025-04-09 10:00"), priority="low")
    return tenant, alpha, bravo


def answers(functions, tenant) -> tuple[dict, list]:
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    sla = get(app, f"{BASE}/sla-compliance?{RANGE}", caller)
    insights = get(app, f"{BASE}/insights?{RANGE}", caller)
    assert sla.status == 200, sla.body
    assert insights.status == 200, insights.body
    return sla.body, insights.body["sla_breach_trend"]


@pytest.mark.parametrize("read_from", ["raw rows", "rollups"])
def test_open_conversations_not_yet_due_are_tracked_but_not_counted_against_compliance(
    functions, helpdesk, aggregator_db, read_from
):
    # Given the helpdesk above, read raw or, after one aggregator run, from the rollups (whole days of 2025)
    tenant, alpha, bravo = helpdesk
    if read_from == "rollups":
        assert not aggregator.run_tenant(aggregator_db, str(tenant)).skipped

    # When the SLA compliance and the insights' SLA-breach trend are asked for the three days
    sla, trend = answers(functions, tenant)

    # Then tracked counts every conversation with a target (m1, b1, b2, p1, p2; not n1), and compliance is
    # met / (met + breached): first response 2 / 4, resolution 1 / 3
    assert sla["first_response"] == bucket(5, 2, 2, 50.0)
    assert sla["resolution"] == bucket(5, 1, 2, 33.3)
    # urgent p2 pending; high m1 met; medium b1, b2 breached; low p1 pending (n1 has no target)
    assert sla["by_priority"] == [
        {"priority": "urgent", **bucket(1, 0, 0, 0.0)},
        {"priority": "high", **bucket(1, 1, 0, 100.0)},
        {"priority": "medium", **bucket(2, 0, 2, 0.0)},
        {"priority": "low", **bucket(1, 0, 0, 0.0)},
    ]
    # Alpha: m1 met, b2 breached; Bravo: b1 breached, p1 and p2 pending
    assert sla["by_team"] == [
        {"team_id": str(alpha), "team_name": "Alpha", **bucket(2, 1, 1, 50.0)},
        {"team_id": str(bravo), "team_name": "Bravo", **bucket(3, 0, 1, 0.0)},
    ]
    # Resolution target per day created: 04-07 m1 met, b1 breached; 04-08 b2 breached, p1 pending; 04-09 p2
    assert trend == [
        {"day": "2025-04-07", **bucket(2, 1, 1, 50.0)},
        {"day": "2025-04-08", **bucket(2, 0, 1, 0.0)},
        {"day": "2025-04-09", **bucket(1, 0, 0, 0.0)},
    ]
