"""GET /api/v2/analytics/conversations/resolution-rates: AI vs human resolution, per priority.

Conversations fall in the range by created_at; every rate is over all conversations created in it.
"""

from __future__ import annotations

from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.db import Transaction
from aurion.metrics.common import PRIORITIES, pct
from aurion.models.conversations import PriorityResolution, ResolutionRatesResponse
from aurion.params import DateRange
from aurion.rollups.conversations import EMPTY_FACTS, conversation_facts


def resolution_counts(row: dict[str, Any]) -> dict[str, Any]:
    """The resolution figures of one summed fact row (a range, a priority, or an export's day)."""
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


def resolution_by_priority(
    tx: Transaction, tenant_id: str, window: DateRange, *, team_id: str | None = None
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The range's resolution figures overall and per priority with a conversation (urgent first)."""
    if team_id is None:
        facts = conversation_facts(tx, tenant_id, window, ("all", "priority"))
        overall_rows, priority_rows = facts.of("all"), facts.of("priority")
    else:
        facts = conversation_facts(tx, tenant_id, window, ("team", "team_priority"))
        overall_rows = [row for row in facts.of("team") if row["key"] == team_id]
        priority_rows = [
            row | {"key": row["key"].split("/", 1)[1]}
            for row in facts.of("team_priority")
            if row["key"].split("/", 1)[0] == team_id
        ]
    per_priority = sorted(
        (row for row in priority_rows if row["conversations"]), key=lambda row: PRIORITIES.index(row["key"])
    )
    overall = resolution_counts(overall_rows[0] if overall_rows else EMPTY_FACTS)
    return overall, [(row["key"], resolution_counts(row)) for row in per_priority]


def resolution_rates(caller: Caller, window: DateRange, *, team_id: str | None = None) -> ResolutionRatesResponse:
    with tenant_scope(caller) as scope:
        overall, per_priority = resolution_by_priority(scope.tx, scope.tenant.id, window, team_id=team_id)
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
                priority=priority,
                total=counts["total"],
                resolved=counts["resolved"],
                ai_resolved=counts["ai_resolved"],
                human_resolved=counts["human_resolved"],
                resolution_rate=counts["resolution_rate"],
            )
            for priority, counts in per_priority
        ],
    )
