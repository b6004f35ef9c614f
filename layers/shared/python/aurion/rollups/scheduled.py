"""The aggregator function's entry (EventBridge, every 5 minutes): the dispatcher of a cycle, and its freshness.

`RollupLagSeconds` is the age of the oldest change not rolled up yet (0 when none waits): healthy, it stays
under a cycle and the worker's time; it grows when the worker fails, is throttled, or falls behind. Emitted every
cycle, so a dispatcher that stops running shows as missing data (the lag alarm treats it as breaching). With the
tenants due, the jobs queued and the cycle's time, as CloudWatch metrics (embedded metric format) and in the
cycle's log line.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from aurion.db import Database
from aurion.logs import logger
from aurion.rollups.aggregator import aggregator_database
from aurion.rollups.dispatch import dispatch
from aurion.rollups.queue import send_bodies
from aurion.settings import get_settings

metrics = Metrics(namespace="AurionAnalytics", service="rollup-aggregator")
_database: Database | None = None


def _aggregator_database() -> Database:
    """One connection per execution environment, opened lazily, as for the API functions."""
    global _database
    if _database is None:
        _database = aggregator_database(get_settings().db_url.get_secret_value())
    return _database


def handle_aggregator_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    cycle = dispatch(_aggregator_database(), send_bodies)
    summary = {
        "tenants_due": cycle.tenants_due,
        "runs_queued": cycle.runs,
        "parts_queued": cycle.parts,
        "tenants_split": cycle.planned,
        "lag_seconds": cycle.lag_seconds,
        "query_ms": cycle.query_ms,
        "cycle_ms": cycle.total_ms,
    }
    metrics.add_metric("RollupTenantsDue", MetricUnit.Count, cycle.tenants_due)
    metrics.add_metric("RollupJobsQueued", MetricUnit.Count, cycle.runs + cycle.parts)
    metrics.add_metric("RollupTenantsSplit", MetricUnit.Count, cycle.planned)
    metrics.add_metric("RollupDispatchMs", MetricUnit.Milliseconds, cycle.total_ms)
    metrics.add_metric("RollupLagSeconds", MetricUnit.Seconds, cycle.lag_seconds)
    logger.info("aggregator cycle", extra=summary)
    return summary
