"""The ingest function (SQS, fed by the ingest bus's rule): a batch of events into PostgreSQL, partial failures.

Per batch: every message is parsed (aurion.ingest.messages), then each tenant's share is applied in one
transaction of that tenant (aurion.ingest.apply). What is reported as failed, so SQS delivers it again (and
after the queue's maxReceiveCount moves it to the dead-letter queue):
- messages that name no tenant (unattributable: there is nowhere to record them);
- events of a tenant that does not exist yet (held until its tenant.v1 arrives);
- every message of a tenant whose transaction failed (database unavailable, timeout, a deadlock): none of
  them was applied, all are retried.
Everything else is acknowledged: applied, unchanged (a duplicate or an older version), or rejected with its
reason recorded. A rejected event is not retried, since it would be refused the same way each time; the
source fixes it and publishes the entity again.

Logs carry ids, types, counts and reasons, never an event's content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from aurion.db import Database, get_database
from aurion.ingest.apply import Outcome, Received, apply_tenant
from aurion.ingest.messages import Parsed, Unattributable, parse_message
from aurion.logs import logger

metrics = Metrics(namespace="AurionAnalytics", service="ingest")
# An entirely failed batch is reported like a partial one (every message listed), not raised: the same effect
# (all come back), without an invocation error per unknown tenant.
_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class RetryLater(Exception):
    """The message is reported as failed: SQS delivers it again after its visibility timeout."""


@dataclass
class BatchReport:
    received: int = 0
    applied: int = 0
    unchanged: int = 0
    rejected: int = 0
    # {message id: why} of the messages reported as failed.
    retry: dict[str, str] = field(default_factory=dict)
    # Seconds from PutEvents to this batch, largest of the batch.
    max_delay_s: float | None = None


def consume(db: Database, messages: list[tuple[str, str]], *, now: datetime | None = None) -> BatchReport:
    """Apply (message id, body) pairs; returns what happened, with the messages to retry."""
    report = BatchReport(received=len(messages))
    parsed = [parse_message(message_id, body) for message_id, body in messages]
    report.max_delay_s = _max_delay(parsed, now or datetime.now(UTC))
    by_tenant: dict[str, list[Received]] = {}
    for entry in parsed:
        if isinstance(entry.item, Unattributable):
            lost = entry.item
            report.retry[lost.message_id] = lost.reason
            extra = {"message_id": lost.message_id, "reason": lost.reason}
            logger.warning("ingest message unattributable", extra=extra)
        elif entry.tenant_id is not None:
            by_tenant.setdefault(entry.tenant_id, []).append(entry.item)
    for tenant_id in sorted(by_tenant):
        items = by_tenant[tenant_id]
        try:
            outcome = apply_tenant(db, tenant_id, items)
        except Exception as exc:  # one tenant's failure never blocks another's
            # Nothing of this tenant's share was committed: all of it comes back.
            logger.warning(
                "ingest tenant batch failed",
                extra={"tenant_id": tenant_id, "messages": len(items), "error_type": type(exc).__name__},
            )
            report.retry |= {item.message_id: f"not applied: {type(exc).__name__}" for item in items}
            continue
        _account(report, tenant_id, outcome)
    return report


def _account(report: BatchReport, tenant_id: str, outcome: Outcome) -> None:
    report.applied += outcome.applied
    report.unchanged += outcome.unchanged
    report.rejected += len(outcome.rejected)
    report.retry |= outcome.held
    for rejection in outcome.rejected:
        logger.warning(
            "ingest event rejected",
            extra={
                "tenant_id": tenant_id,
                "event_id": rejection.event_key,
                "event_type": rejection.event_type,
                "entity_id": rejection.entity_id,
                "message_id": rejection.message_id,
                "reason": rejection.reason,
            },
        )
    if outcome.held:
        logger.info("ingest events held", extra={"tenant_id": tenant_id, "messages": len(outcome.held)})


def _max_delay(parsed: list[Parsed], now: datetime) -> float | None:
    published = [entry.published_at for entry in parsed if entry.published_at is not None]
    return max((now - at).total_seconds() for at in published) if published else None


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry: Powertools reports the messages to retry as batchItemFailures."""
    records = event.get("Records") or []
    report = consume(get_database(), [(record["messageId"], record.get("body") or "") for record in records])

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in report.retry:
            raise RetryLater(report.retry[record.message_id])

    response = process_partial_response(event, record_handler, _processor, context)
    _publish(report)
    return dict(response)


def _publish(report: BatchReport) -> None:
    summary = {
        "received": report.received,
        "applied": report.applied,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "retried": len(report.retry),
        "max_delay_s": report.max_delay_s,
    }
    logger.info("ingest batch", extra=summary)
    metrics.add_metric("IngestEventsReceived", MetricUnit.Count, report.received)
    metrics.add_metric("IngestEventsApplied", MetricUnit.Count, report.applied)
    metrics.add_metric("IngestEventsUnchanged", MetricUnit.Count, report.unchanged)
    metrics.add_metric("IngestEventsRejected", MetricUnit.Count, report.rejected)
    metrics.add_metric("IngestEventsRetried", MetricUnit.Count, len(report.retry))
    if report.max_delay_s is not None:
        metrics.add_metric("IngestDelaySeconds", MetricUnit.Seconds, report.max_delay_s)
