"""GET /api/v2/analytics/conversations/resolution-rates: AI vs human resolution, per priority.

Conversations fall in the range by created_at; every rate is over all conversations created in it.
"""

from __future__ import annotations

from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import PRIORITIES, pct
from aurion.models.conversations import PriorityResolution, ResolutionRatesResponse
from aurion.params import DateRange
from aurion.rollups.conversations import EMPTY_FACTS, conversation_facts

# The resolution aggregates over any set of conversations: the range, a priority, or one day in the exports.
RESOLUTION_AGGREGATES = """
       count(*) AS total,
       count(resolved_at) AS resolved,
       count(*) FILTER (WHERE resolved_by = 'ai') AS ai_resolved,
       count(*) FILTER (WHERE resolved_by = 'human') AS human_resolved,
       aurion_pct(count(resolved_at), count(*)) AS resolution_rate,
       aurion_pct(count(*) FILTER (WHERE resolved_by = 'ai'), count(*)) AS ai_resolution_rate,
       aurion_pct(count(*) FILTER (WHERE resolved_by = 'human'), count(*)) AS human_resolution_rate"""

RESOLUTION_SQL = """
SELECT GROUPING(priority) AS overall, priority, {columns}
FROM conversations c
WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.created_at BETWEEN :start AND :end {filters}
GROUP BY GROUPING SETS ((), (priority))
ORDER BY GROUPING(priority) DESC, {priority_order}
"""


def _resolution_counts(row: dict[str, Any]) -> dict[str, Any]:
    total, resolved = int(row["conversations"]), int(row["resolved"])
    ai, human = int(row["ai_resolved"]), int(row["human_resolved"])
    return {
        "total": total,
        "resolved": resolved,
        "ai_resolved": ai,
        "human_resolved": human,
        "resolution_rate": pct(resolved, total),
        "ai_resolution_rate": pct(ai, total),
        "human_resolution_rate": pct(human, total),
    }


def resolution_rates(caller: Caller, window: DateRange, *, team_id: str | None = None) -> ResolutionRatesResponse:
    with tenant_scope(caller) as scope:
        if team_id is None:
            facts = conversation_facts(scope.tx, scope.tenant.id, window, ("all", "priority"))
            overall_rows, priority_rows = facts.of("all"), facts.of("priority")
        else:
            facts = conversation_facts(scope.tx, scope.tenant.id, window, ("team", "team_priority"))
            overall_rows = [row for row in facts.of("team") if row["key"] == team_id]
            priority_rows = [
                row | {"key": row["key"].split("/", 1)[1]}
                for row in facts.of("team_priority")
                if row["key"].split("/", 1)[0] == team_id
            ]
    overall = _resolution_counts(overall_rows[0] if overall_rows else EMPTY_FACTS)
    per_priority = sorted(
        (row for row in priority_rows if row["conversations"]), key=lambda row: PRIORITIES.index(row["key"])
    )
    return ResolutionRatesResponse(
        total_conversations=overall["total"],
        resolved_count=overall["resolved"],
        ai_resolved_count=overall["ai_resolved"],
        human_resolved_count=overall["human_resolved"],
        ai_resolution_rate=overall["ai_resolution_rate"],
        human_resolution_rate=overall["human_resolution_rate"],
        resolution_rate=overall["resolution_rate"],
        by_priority=[
            PriorityResolution(
                priority=row["key"],
                total=counts["total"],
                resolved=counts["resolved"],
                ai_resolved=counts["ai_resolved"],
                human_resolved=counts["human_resolved"],
                resolution_rate=counts["resolution_rate"],
            )
            for row, counts in ((row, _resolution_counts(row)) for row in per_priority)
        ],
    )
