"""GET /api/v2/analytics/conversations/overview (and the cs block of the unified overview)."""

from __future__ import annotations

from typing import Any

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.db import Transaction
from aurion.metrics.common import num, range_params
from aurion.models.conversations import ChannelCount, OverviewResponse
from aurion.params import DateRange

# One scan of the range for the totals, a second (hash aggregate) for the channel split, one round trip.
OVERVIEW_SQL = """
SELECT
    count(*) AS total_conversations,
    count(*) FILTER (WHERE resolved_by = 'ai') AS ai_resolved_count,
    count(*) FILTER (WHERE resolved_by = 'human') AS human_resolved_count,
    aurion_pct(count(*) FILTER (WHERE resolved_by = 'ai'), count(*)) AS ai_resolution_rate,
    aurion_pct(count(*) FILTER (WHERE escalated), count(*)) AS escalation_rate,
    aurion_round1(avg(aurion_minutes(created_at, first_response_at))) AS first_response_minutes_avg,
    aurion_round1(percentile_cont(0.5) WITHIN GROUP (ORDER BY aurion_minutes(created_at, resolved_at)))
        AS resolution_minutes_median,
    (SELECT coalesce(json_agg(json_build_object('channel', channel, 'conversation_count', n)
                              ORDER BY n DESC, channel), '[]')
       FROM (SELECT channel, count(*) AS n FROM conversations
              WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
              GROUP BY channel) AS channels) AS channel_distribution
FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
"""


def overview_row(tx: Transaction, tenant_id: str, window: DateRange) -> dict[str, Any]:
    row = tx.one(OVERVIEW_SQL, **range_params(tenant_id, window))
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row


def overview_model(row: dict[str, Any]) -> OverviewResponse:
    return OverviewResponse(
        total_conversations=row["total_conversations"],
        ai_resolved_count=row["ai_resolved_count"],
        ai_resolution_rate=float(row["ai_resolution_rate"]),
        human_resolved_count=row["human_resolved_count"],
        escalation_rate=float(row["escalation_rate"]),
        first_response_minutes_avg=num(row["first_response_minutes_avg"]),
        resolution_minutes_median=num(row["resolution_minutes_median"]),
        channel_distribution=[ChannelCount(**item) for item in row["channel_distribution"]],
    )


def overview_in(scope: Scope, window: DateRange) -> OverviewResponse:
    return overview_model(overview_row(scope.tx, scope.tenant.id, window))


def conversation_overview(caller: Caller, window: DateRange) -> OverviewResponse:
    with tenant_scope(caller) as scope:
        return overview_in(scope, window)
