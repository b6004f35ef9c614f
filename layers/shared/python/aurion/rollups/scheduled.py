"""The aggregator function's entry (EventBridge, every 5 minutes): run every tenant, report freshness.

Freshness is what the pipeline's users need: per run, the largest age of a tenant's rollups before the run
(`RollupLagSeconds`: at most the schedule period when healthy), the run time and the days rebuilt, as
CloudWatch metrics (embedded metric format, no API calls) and in the run's log line.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from aurion.db import Database
from aurion.logs import logger
from aurion.rollups.aggregator import aggregator_database, run_all
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
    results = run_all(_aggregator_database())
    done = [result for result in results if not result.skipped]
    lags = [result.lag_seconds for result in done if result.lag_seconds is not None]
    summary = {
        "tenants": len(results),
        "skipped": len(results) - len(done),
        "days_rebuilt": sum(result.days_rebuilt for result in done),
        "max_run_ms": max((result.run_ms for result in done), default=0.0),
        "max_lag_seconds": max(lags, default=0.0),
    }
    metrics.add_metric("RollupTenants", MetricUnit.Count, summary["tenants"])
    metrics.add_metric("RollupTenantsSkipped", MetricUnit.Count, summary["skipped"])
    metrics.add_metric("RollupDaysRebuilt", MetricUnit.Count, summary["days_rebuilt"])
    metrics.add_metric("RollupMaxRunMs", MetricUnit.Milliseconds, summary["max_run_ms"])
    metrics.add_metric("RollupLagSeconds", MetricUnit.Seconds, summary["max_lag_seconds"])
    logger.info("aggregator run", extra=summary)
    return summary
