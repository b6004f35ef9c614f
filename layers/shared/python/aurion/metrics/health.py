"""Aggregation health: the measured runtime of the three heaviest dashboard queries, against the spec's budget.

The numbers are wall-clock times of the real queries for the caller's tenant and range, taken inside the
request's transaction (round trip included): what a dashboard user waits for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.overview import overview_row
from aurion.metrics.performance import agent_performance
from aurion.metrics.sla import sla_rows
from aurion.models.conversations import AggregationHealth
from aurion.params import DateRange

TARGET_CONVERSATION_VOLUME = 100_000
PER_QUERY_BUDGET_MS = 500.0
TOTAL_BUDGET_MS = 2000.0


def _timed_ms(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return round((time.perf_counter() - started) * 1000, 1)


def health_in(scope: Scope, window: DateRange) -> AggregationHealth:
    tx, tenant_id = scope.tx, scope.tenant.id
    overview_ms = _timed_ms(lambda: overview_row(tx, tenant_id, window))
    sla_ms = _timed_ms(lambda: sla_rows(tx, tenant_id, window))
    agents_ms = _timed_ms(lambda: agent_performance(tx, tenant_id, window))
    total_ms = round(overview_ms + sla_ms + agents_ms, 1)
    within_each = max(overview_ms, sla_ms, agents_ms) <= PER_QUERY_BUDGET_MS
    return AggregationHealth(
        target_conversation_volume=TARGET_CONVERSATION_VOLUME,
        per_query_budget_ms=PER_QUERY_BUDGET_MS,
        total_budget_ms=TOTAL_BUDGET_MS,
        total_runtime_ms=total_ms,
        target_met=within_each and total_ms <= TOTAL_BUDGET_MS,
        overview_ms=overview_ms,
        sla_compliance_ms=sla_ms,
        agent_performance_ms=agents_ms,
    )


def aggregation_health(caller: Caller, window: DateRange) -> AggregationHealth:
    with tenant_scope(caller) as scope:
        return health_in(scope, window)
