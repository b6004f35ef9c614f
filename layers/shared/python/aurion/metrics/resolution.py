"""GET /api/v2/analytics/conversations/resolution-rates: AI vs human resolution, per priority.

Conversations fall in the range by created_at; every rate is over all conversations created in it.
"""

from __future__ import annotations

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import PRIORITY_ORDER, assignee_filters, range_params
from aurion.models.conversations import PriorityResolution, ResolutionRatesResponse
from aurion.params import DateRange

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


def resolution_rates(caller: Caller, window: DateRange, *, team_id: str | None = None) -> ResolutionRatesResponse:
    filters, params = assignee_filters("c", team_id=team_id)
    with tenant_scope(caller) as scope:
        rows = scope.tx.all(
            RESOLUTION_SQL.format(filters=filters, priority_order=PRIORITY_ORDER, columns=RESOLUTION_AGGREGATES),
            **range_params(scope.tenant.id, window),
            **params,
        )
    overall, per_priority = rows[0], rows[1:]
    return ResolutionRatesResponse(
        total_conversations=overall["total"],
        resolved_count=overall["resolved"],
        ai_resolved_count=overall["ai_resolved"],
        human_resolved_count=overall["human_resolved"],
        ai_resolution_rate=float(overall["ai_resolution_rate"]),
        human_resolution_rate=float(overall["human_resolution_rate"]),
        resolution_rate=float(overall["resolution_rate"]),
        by_priority=[
            PriorityResolution(
                priority=row["priority"],
                total=row["total"],
                resolved=row["resolved"],
                ai_resolved=row["ai_resolved"],
                human_resolved=row["human_resolved"],
                resolution_rate=float(row["resolution_rate"]),
            )
            for row in per_priority
        ],
    )
