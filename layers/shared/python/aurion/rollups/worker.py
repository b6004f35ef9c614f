"""The aggregator's worker (SQS, the rollup queue): each message is one tenant's regular run or one part of a split
rebuild; partial batch failures reported.

- A tenant busy under its advisory lock (another run, or a regular run against parts) is reported as failed and
  comes back after RETRY_SECONDS: not lost, and never applied twice at once. Each job is idempotent (a day's
  facts are deleted and re-inserted), so a redelivery after a commit is harmless.
- A job that fails (the database, a timeout) rolls back whole and is reported as failed; after the queue's
  maxReceiveCount it goes to the dead-letter queue, whose alarm calls someone. Parts left behind are queued again
  by the dispatcher (parts.STALE_PARTS_SQL); a regular run's tenant is due again at the next cycle anyway.
- A message that is not a job is reported as failed too, so it ends in the dead-letter queue to be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from aurion.db import Database
from aurion.logs import logger
from aurion.rollups.aggregator import aggregator_database, analyze_rewritten, run_tenant
from aurion.rollups.jobs import Job, parse_job
from aurion.rollups.parts import run_part
from aurion.rollups.queue import retry_later
from aurion.settings import get_settings

metrics = Metrics(namespace="AurionAnalytics", service="rollup-worker")
_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# A busy tenant's job comes back this soon: its lock holder is a run of seconds, rarely minutes.
RETRY_SECONDS = 30
_database: Database | None = None


class TenantBusy(Exception):
    """Another run holds the tenant's lock: the job is retried later."""


@dataclass(frozen=True)
class JobOutcome:
    days_rebuilt: int
    run_ms: float
    lag_seconds: float | None = None


def run_job(db: Database, job: Job, *, now: datetime | None = None) -> JobOutcome:
    """Run one job; TenantBusy when the tenant's lock is held."""
    if job.part is not None:
        part = run_part(db, job.tenant_id, job.part)
        if part.skipped:
            raise TenantBusy(job.tenant_id)
        return JobOutcome(part.days_rebuilt, part.run_ms)
    result = run_tenant(db, job.tenant_id, now=now)
    if result.skipped:
        raise TenantBusy(job.tenant_id)
    if result.days_rebuilt:
        analyze_rewritten(db)
    return JobOutcome(result.days_rebuilt, result.run_ms, result.lag_seconds)


def _worker_database() -> Database:
    """One connection per execution environment, opened lazily."""
    global _database
    if _database is None:
        _database = aggregator_database(get_settings().db_url.get_secret_value())
    return _database


def _handle_record(record: SQSRecord) -> None:
    job = parse_job(record.body)
    try:
        outcome = run_job(_worker_database(), job)
    except TenantBusy:
        logger.info("rollup tenant busy, retried later", extra={"tenant_id": job.tenant_id})
        retry_later(record.receipt_handle, RETRY_SECONDS)
        metrics.add_metric("RollupJobsBusy", MetricUnit.Count, 1)
        raise
    metrics.add_metric("RollupJobs", MetricUnit.Count, 1)
    metrics.add_metric("RollupDaysRebuilt", MetricUnit.Count, outcome.days_rebuilt)
    metrics.add_metric("RollupRunMs", MetricUnit.Milliseconds, outcome.run_ms)
    if outcome.lag_seconds is not None:
        metrics.add_metric("RollupChangeAppliedSeconds", MetricUnit.Seconds, outcome.lag_seconds)


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(process_partial_response(event, _handle_record, _processor, context))
