"""GET /api/v2/analytics/conversations/sla-compliance and the insights SLA-breach trend.

A conversation is tracked for a target when it has one (a due time), as the spec says. Its outcome is met
(answered on or before the due time), breached (answered after it, or still unanswered past it) or not decided
yet (unanswered, not yet due). compliance_rate is met over the decided ones: pending work is not a failure.
"""

from __future__ import annotations

from typing import Any

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.db import Transaction
from aurion.metrics.common import PRIORITIES, pct
from aurion.models.conversations import PrioritySlaBucket, SlaBucket, SlaComplianceResponse, TeamSlaBucket
from aurion.params import DateRange
from aurion.rollups.conversations import Facts, conversation_facts


def sla_bucket(tracked: int, met: int, breached: int) -> dict[str, Any]:
    tracked, met, breached = int(tracked), int(met), int(breached)
    return {"tracked": tracked, "met": met, "breached": breached, "compliance_rate": pct(met, met + breached)}


def resolution_bucket(row: dict[str, Any]) -> dict[str, Any]:
    return sla_bucket(row["res_tracked"], row["res_met"], row["res_breached"])


def sla_rows(tx: Transaction, tenant_id: str, window: DateRange) -> Facts:
    return conversation_facts(tx, tenant_id, window, ("all", "priority", "team"))


def sla_model(facts: Facts) -> SlaComplianceResponse:
    """Overall buckets for both targets; per priority and per team for the resolution target."""
    overall = facts.total()
    priorities = sorted(
        (row for row in facts.of("priority") if row["res_tracked"] > 0), key=lambda row: PRIORITIES.index(row["key"])
    )
    teams = sorted(
        (row for row in facts.of("team") if row["team_name"] is not None and row["res_tracked"] > 0),
        key=lambda row: (row["team_name"], row["key"]),
    )
    return SlaComplianceResponse(
        first_response=SlaBucket(**sla_bucket(overall["fr_tracked"], overall["fr_met"], overall["fr_breached"])),
        resolution=SlaBucket(**resolution_bucket(overall)),
        by_priority=[PrioritySlaBucket(priority=row["key"], **resolution_bucket(row)) for row in priorities],
        by_team=[
            TeamSlaBucket(team_id=row["key"], team_name=row["team_name"], **resolution_bucket(row)) for row in teams
        ],
    )


def sla_compliance(caller: Caller, window: DateRange) -> SlaComplianceResponse:
    with tenant_scope(caller) as scope:
        return sla_in(scope, window)


def sla_in(scope: Scope, window: DateRange) -> SlaComplianceResponse:
    return sla_model(sla_rows(scope.tx, scope.tenant.id, window))
