"""GET /api/v2/analytics/conversations/sla-compliance and the insights SLA-breach trend.

A conversation is tracked for a target when it has a due time and the outcome is known: answered
(met when on or before the due time, breached after it) or still unanswered past its due time
(breached). An unanswered conversation that is not yet due is not tracked.
"""

from __future__ import annotations

from typing import Any

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.db import Transaction
from aurion.metrics.common import PRIORITIES, pct, range_params
from aurion.models.conversations import PrioritySlaBucket, SlaBucket, SlaComplianceResponse, TeamSlaBucket
from aurion.params import DateRange

# Per conversation and target: true = met, false = breached, null = not tracked.
FIRST_RESPONSE_MET = """
    CASE WHEN first_response_due_at IS NULL THEN NULL
         WHEN first_response_at IS NOT NULL THEN first_response_at <= first_response_due_at
         WHEN first_response_due_at < now() THEN false
    END"""
RESOLUTION_MET = """
    CASE WHEN resolution_due_at IS NULL THEN NULL
         WHEN resolved_at IS NOT NULL THEN resolved_at <= resolution_due_at
         WHEN resolution_due_at < now() THEN false
    END"""

_OUTCOMES = f"""
SELECT priority, team_id, {FIRST_RESPONSE_MET} AS first_response_met, {RESOLUTION_MET} AS resolution_met
FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
"""

_COUNTS = """
    count(*) FILTER (WHERE resolution_met) AS met,
    count(*) FILTER (WHERE NOT resolution_met) AS breached
"""

# One pass over the range: overall buckets for both targets, per priority and per team (resolution target).
SLA_SQL = f"""
WITH outcomes AS ({_OUTCOMES})
SELECT GROUPING(priority) AS by_priority, GROUPING(team_id) AS by_team, priority, team_id,
       (SELECT name FROM teams WHERE teams.id = team_id) AS team_name,
       count(*) FILTER (WHERE first_response_met) AS fr_met,
       count(*) FILTER (WHERE NOT first_response_met) AS fr_breached,
       {_COUNTS}
FROM outcomes
GROUP BY GROUPING SETS ((), (priority), (team_id))
"""


def sla_bucket(met: int, breached: int) -> dict[str, Any]:
    return {"tracked": met + breached, "met": met, "breached": breached, "compliance_rate": pct(met, met + breached)}


def sla_rows(tx: Transaction, tenant_id: str, window: DateRange) -> list[dict[str, Any]]:
    return tx.all(SLA_SQL, **range_params(tenant_id, window))


def sla_model(rows: list[dict[str, Any]]) -> SlaComplianceResponse:
    overall = next(row for row in rows if row["by_priority"] and row["by_team"])
    priorities = sorted(
        (row for row in rows if not row["by_priority"] and row["met"] + row["breached"] > 0),
        key=lambda row: PRIORITIES.index(row["priority"]),
    )
    teams = sorted(
        (row for row in rows if not row["by_team"] and row["team_id"] is not None and row["met"] + row["breached"]),
        key=lambda row: (row["team_name"], str(row["team_id"])),
    )
    return SlaComplianceResponse(
        first_response=SlaBucket(**sla_bucket(overall["fr_met"], overall["fr_breached"])),
        resolution=SlaBucket(**sla_bucket(overall["met"], overall["breached"])),
        by_priority=[
            PrioritySlaBucket(priority=row["priority"], **sla_bucket(row["met"], row["breached"])) for row in priorities
        ],
        by_team=[
            TeamSlaBucket(
                team_id=str(row["team_id"]), team_name=row["team_name"], **sla_bucket(row["met"], row["breached"])
            )
            for row in teams
        ],
    )


def sla_compliance(caller: Caller, window: DateRange) -> SlaComplianceResponse:
    with tenant_scope(caller) as scope:
        return sla_in(scope, window)


def sla_in(scope: Scope, window: DateRange) -> SlaComplianceResponse:
    return sla_model(sla_rows(scope.tx, scope.tenant.id, window))
