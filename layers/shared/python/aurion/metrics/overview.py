"""GET /api/v2/analytics/conversations/overview (and the cs block of the unified overview)."""

from __future__ import annotations

from typing import Any

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.db import Transaction
from aurion.metrics.common import num, pct
from aurion.models.conversations import ChannelCount, OverviewResponse
from aurion.params import DateRange
from aurion.rollups.conversations import conversation_facts, resolution_median
from aurion.rollups.window import range_split


def overview_row(tx: Transaction, tenant_id: str, window: DateRange) -> dict[str, Any]:
    """The overview's numbers: conversation facts (rollup days + raw edges) and the resolution-time median."""
    split = range_split(tx, tenant_id, window)
    facts = conversation_facts(tx, tenant_id, window, ("all", "channel"), split=split)
    total = facts.total()
    channels = sorted(
        (row for row in facts.of("channel") if row["conversations"]), key=lambda r: (-r["conversations"], r["key"])
    )
    n = int(total["conversations"])
    return {
        "total_conversations": n,
        "ai_resolved_count": int(total["ai_resolved"]),
        "human_resolved_count": int(total["human_resolved"]),
        "ai_resolution_rate": pct(int(total["ai_resolved"]), n),
        "escalation_rate": pct(int(total["escalated"]), n),
        "first_response_minutes_avg": total["avg_first_response_minutes"],
        "resolution_minutes_median": resolution_median(tx, tenant_id, split),
        "channel_distribution": [
            {"channel": row["key"], "conversation_count": int(row["conversations"])} for row in channels
        ],
    }


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
