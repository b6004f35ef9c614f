"""Aggregation health: the measured runtime of the three heaviest dashboard queries, against the spec's budget.

The numbers are wall-clock times of the real queries for the caller's tenant and range, taken inside the
request's transaction (round trip included): what a dashboard user waits for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.breakdown import Breakdown, conversation_breakdown
from aurion.metrics.common import round1
from aurion.metrics.overview import overview_row
from aurion.metrics.sla import sla_rows
from aurion.models.conversations import AggregationHealth
from aurion.params import DateRange

T = TypeVar("T")

TARGET_CONVERSATION_VOLUME = 100_000
PER_QUERY_BUDGET_MS = 500.0
TOTAL_BUDGET_MS = 2000.0


def _timed(run: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = run()
    return result, round1((time.perf_counter() - started) * 1000)


def measure(scope: Scope, window: DateRange) -> tuple[AggregationHealth, Breakdown]:
    """Health, and the breakdown its agent-performance measurement computed (insights shows it too).

    Agent performance is computed by the one-pass conversation breakdown, so that is the query timed.
    """
    tx, tenant_id = scope.tx, scope.tenant.id
    _, overview_ms = _timed(lambda: overview_row(tx, tenant_id, window))
    _, sla_ms = _timed(lambda: sla_rows(tx, tenant_id, window))
    breakdown, agents_ms = _timed(lambda: conversation_breakdown(tx, tenant_id, window))
    total_ms = round1(overview_ms + sla_ms + agents_ms)
    within_each = max(overview_ms, sla_ms, agents_ms) <= PER_QUERY_BUDGET_MS
    health = AggregationHealth(
        target_conversation_volume=TARGET_CONVERSATION_VOLUME,
        per_query_budget_ms=PER_QUERY_BUDGET_MS,
        total_budget_ms=TOTAL_BUDGET_MS,
        total_runtime_ms=total_ms,
        target_met=within_each and total_ms <= TOTAL_BUDGET_MS,
        overview_ms=overview_ms,
        sla_compliance_ms=sla_ms,
        agent_performance_ms=agents_ms,
    )
    return health, breakdown


def health_in(scope: Scope, window: DateRange) -> AggregationHealth:
    return measure(scope, window)[0]


def aggregation_health(caller: Caller, window: DateRange) -> AggregationHealth:
    with tenant_scope(caller) as scope:
        return health_in(scope, window)
