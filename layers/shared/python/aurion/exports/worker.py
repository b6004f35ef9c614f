"""The export worker: one SQS message {"export_id", "tenant_id"} becomes one file in S3.

Lifecycle of an export: queued -> running -> succeeded | failed (with a typed failure_reason, classify_failure);
an admin may cancel a queued or running one (cancelled: the worker stops at its next progress checkpoint, the
upload is aborted) and delete a finished one (deleted: aurion.exports.manage).

- The message is claimed by marking the export running (row locked while it is checked). A message for an
  export that already succeeded or failed is acknowledged and ignored: a duplicate delivery does no work, and
  a redelivery after a crash overwrites the same S3 key, so there is only ever one object per export.
- Rows stream from a server-side cursor into an S3 multipart upload (aurion.exports.storage). Any error aborts
  the upload, records the reason and re-raises: the message is retried after a short backoff. On the queue's
  last receive (EXPORT_MAX_RECEIVES = the redrive policy's maxReceiveCount) the export is marked failed with
  its reason and the message goes on to the dead-letter queue. An error that no retry can fix (the export's
  24 hours are over, or it cannot be written within the Lambda timeout) fails the export at once and
  acknowledges the message.
- A malformed message (not JSON, no valid ids) is reported as a failure every time, so it lands in the DLQ
  after the queue's retries; its body is never logged (it is untrusted, and could carry anything).
- Partial batch failures are reported (Powertools BatchProcessor, ReportBatchItemFailures).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pg8000.exceptions import DatabaseError
from pydantic import BaseModel, Json, ValidationError

from aurion.db import Database, get_database
from aurion.errors import ServiceUnavailable
from aurion.exports import clock
from aurion.exports.config import ExportConfig, get_export_config
from aurion.exports.datasets import build_datasets
from aurion.exports.delivery_queue import enqueue_deliveries
from aurion.exports.formats import CONTENT_TYPES, SCOPE_LABELS, download_filename, file_extension
from aurion.exports.job import DatasetContext, Deadline, ExportJob, ExportTimeout
from aurion.exports.options import ExportOptions
from aurion.exports.progress import ExportCancelled, Progress
from aurion.exports.queue import retry_later
from aurion.exports.report import report_data
from aurion.exports.storage import MultipartUpload
from aurion.exports.totals import count_rows
from aurion.exports.writers.csv import write_csv
from aurion.exports.writers.json import write_json
from aurion.logs import logger
from aurion.models.exports import FailureReason
from aurion.settings import get_settings

PII_NOTE = "Phone numbers show their last 4 digits, emails are masked, free text is redacted."


class MalformedMessage(Exception):
    """The message cannot name an export: retrying cannot help, the DLQ keeps it for a human."""


class ExportNotFound(Exception):
    """No such export (yet): the message can arrive a moment before the creating transaction commits."""


class PermanentExportError(Exception):
    """The export can never be produced: fail it now instead of retrying."""


@dataclass(frozen=True)
class ExportMessage:
    export_id: str
    tenant_id: str


class _MessageBody(BaseModel):
    """What aurion.exports.queue sends; other keys are ignored."""

    export_id: uuid.UUID
    tenant_id: uuid.UUID


class _Record(BaseModel):
    """The part of an SQS record we read: its body, JSON (as Powertools' SqsRecordModel with a Json body)."""

    body: Json[_MessageBody]


def parse_message(body: str | None) -> ExportMessage:
    try:
        data = parse(event={"body": body or ""}, model=_Record).body
    except ValidationError as exc:
        kind = exc.errors()[0]["type"]
        if kind == "json_invalid":
            raise MalformedMessage("body is not JSON") from None
        if kind == "model_type":
            raise MalformedMessage("body is not a JSON object") from None
        raise MalformedMessage("export_id or tenant_id missing or not a UUID") from None
    return ExportMessage(export_id=str(data.export_id), tenant_id=str(data.tenant_id))


CLAIM_SQL = """
SELECT e.id::text AS export_id, e.tenant_id::text AS tenant_id, t.name AS tenant_name, e.format, e.scope,
       e.start_date, e.end_date, e.tz, e.include_call_details, e.include_transcripts, e.include_conversations,
       e.status, e.s3_key, e.created_at, e.expires_at, e.cancel_requested_at IS NOT NULL AS cancel_requested,
       e.notify_destination_ids::text[] AS notify
FROM exports e
JOIN tenants t ON t.id = e.tenant_id
WHERE e.id = CAST(:export_id AS uuid) AND e.tenant_id = CAST(:tenant_id AS uuid)
FOR UPDATE OF e
"""

MARK_RUNNING_SQL = """
UPDATE exports SET status = 'running', started_at = :now, rows_written = 0, progress_at = :now,
       rows_total = :rows_total
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

# Only while running: a late checkpoint never overwrites a finished export's state. It answers whether an admin
# asked to cancel (no row: the export is no longer running, e.g. deleted under it; stop too).
RECORD_PROGRESS_SQL = """
UPDATE exports SET rows_written = :rows_written, progress_at = :now
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid) AND status = 'running'
RETURNING cancel_requested_at IS NOT NULL AS cancel
"""

CANCEL_REQUESTED_SQL = """
SELECT cancel_requested_at IS NOT NULL FROM exports
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

MARK_CANCELLED_SQL = """
UPDATE exports SET status = 'cancelled', failure_reason = 'cancelled', error = :error, finished_at = :now
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid) AND status IN ('queued', 'running')
"""
CANCELLED_DETAIL = "Cancelled by an admin"
FINISHED = ("succeeded", "failed", "cancelled", "deleted")

MARK_SUCCEEDED_SQL = """
UPDATE exports SET status = 'succeeded', row_count = :row_count, size_bytes = :size_bytes, error = NULL,
       failure_reason = NULL, rows_written = :row_count, progress_at = :now, finished_at = :now
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

# A success recorded by a concurrent duplicate delivery is never overwritten by a failure.
MARK_FAILURE_SQL = """
UPDATE exports SET status = :status, error = :error, failure_reason = :failure_reason,
       finished_at = CAST(:finished_at AS timestamptz)
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid) AND status <> 'succeeded'
"""


# A query of the same role may be cancelled by the app role itself (no privilege needed).
CANCEL_ROWS_QUERY_SQL = "SELECT pg_cancel_backend(:pid)"


class _CheckpointWriter:
    """Records progress on a connection of its own (the rows' transaction stays open until the file is written).

    On a cancel it also cancels the rows' running statement (`rows_pid`): a COPY writes a whole dataset in one
    statement and would otherwise be read to its end (a million rows: ~15 s) before the export could stop."""

    def __init__(self, message: ExportMessage) -> None:
        self._ids = {"export_id": message.export_id, "tenant_id": message.tenant_id}
        self._db: Database | None = None
        self.rows_pid: int | None = None
        self.cancelled = False

    def record(self, rows_written: int) -> None:
        if self._db is None:
            settings = get_settings()
            self._db = Database(
                settings.db_url.get_secret_value(),
                statement_timeout_ms=settings.db_statement_timeout_ms,
                connect_timeout_s=settings.db_connect_timeout_s,
            )
        with self._db.transaction(self._ids["tenant_id"]) as tx:
            row = tx.one(RECORD_PROGRESS_SQL, rows_written=rows_written, now=clock.utcnow(), **self._ids)
            if row is None or row["cancel"]:
                self.cancelled = True
                if self.rows_pid is not None:
                    tx.value(CANCEL_ROWS_QUERY_SQL, pid=self.rows_pid)
        if self.cancelled:
            raise ExportCancelled(CANCELLED_DETAIL)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _job(row: dict[str, Any]) -> ExportJob:
    return ExportJob(
        export_id=row["export_id"],
        tenant_id=row["tenant_id"],
        tenant_name=row["tenant_name"],
        options=ExportOptions(
            format=row["format"],
            scope=row["scope"],
            include_call_details=row["include_call_details"],
            include_transcripts=row["include_transcripts"],
            include_conversations=row["include_conversations"],
        ),
        start_date=row["start_date"],
        end_date=row["end_date"],
        tz=row["tz"],
        created_at=row["created_at"],
    )


def _about(job: ExportJob, generated_at: datetime, datasets: list[str]) -> dict[str, Any]:
    return {
        "export_id": job.export_id,
        "tenant": job.tenant_name,
        "scope": job.options.scope,
        "start_date": job.start_date.isoformat(),
        "end_date": job.end_date.isoformat(),
        "tz": job.tz,
        "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "datasets": datasets,
        "redaction": PII_NOTE,
    }


def write_file(out: Any, ctx: DatasetContext, config: ExportConfig) -> int:
    """Write the export's file in its format; returns the number of data rows written."""
    job, generated_at = ctx.job, clock.utcnow()
    # The PDF writer imports fpdf2 (and Pillow), the Excel writer zipfile: only for their own format, so
    # a cold start that writes CSV or JSON does not pay for them.
    if job.options.format == "pdf":
        from aurion.exports.writers.pdf import write_pdf

        data = report_data(ctx, detail_rows=config.pdf_detail_rows, generated_at=generated_at)
        return write_pdf(out, data, compress=config.pdf_compress)
    datasets = build_datasets(ctx)
    if ctx.progress is not None:
        for dataset in datasets:
            dataset.rows = ctx.progress.counted(dataset.rows)
    about = _about(job, generated_at, [dataset.name for dataset in datasets])
    if job.options.format == "csv":
        return write_csv(out, datasets)
    if job.options.format == "json":
        return write_json(out, datasets, about)
    if job.options.format == "xlsx":
        from aurion.exports.writers.xlsx import write_xlsx

        labels = [
            ("Report", f"Aurion Analytics export - {SCOPE_LABELS[job.options.scope]}"),
            ("Tenant", job.tenant_name),
            ("Period", f"{about['start_date']} to {about['end_date']}"),
            ("Time zone", f"{job.tz} (every time in this file is local time in this zone)"),
            ("Generated", about["generated_at"]),
            ("Export id", job.export_id),
            ("Sheets", ", ".join(dataset.title for dataset in datasets)),
            ("Personal data", PII_NOTE),
        ]
        return write_xlsx(out, datasets, labels)
    raise PermanentExportError(f"Unknown format {job.options.format!r}")


def run_export(message: ExportMessage, deadline: Deadline, *, database: Database | None = None) -> str:
    """Produce the export named by message; returns "produced", or "duplicate" for a finished export."""
    db = database or get_database()
    config = get_export_config()
    ids = {"export_id": message.export_id, "tenant_id": message.tenant_id}
    with db.transaction(message.tenant_id) as tx:
        row = tx.one(CLAIM_SQL, **ids)
        if row is None:
            raise ExportNotFound("The export does not exist")
        if row["status"] in FINISHED:
            logger.info("export already finished: message ignored", extra={**ids, "status": row["status"]})
            return "duplicate"
        now = clock.utcnow()
        if row["cancel_requested"]:  # cancelled while running, and that worker died: nothing to stop
            tx.execute(MARK_CANCELLED_SQL, error=CANCELLED_DETAIL, now=now, **ids)
            return "cancelled"
        if row["expires_at"] <= now:
            raise ExportExpired("The export's 24-hour window ended before it could be produced")
        job = _job(row)
        # Counted in the claim's transaction, before any row is written: the percentage's denominator.
        tx.execute(MARK_RUNNING_SQL, now=now, rows_total=count_rows(tx, job), **ids)

    upload = MultipartUpload(
        row["s3_key"],
        content_type=CONTENT_TYPES[file_extension(job.options)],
        content_disposition=f'attachment; filename="{download_filename(job.options, job.start_date, job.end_date)}"',
        part_size=config.part_size_bytes,
    )
    checkpoints = _CheckpointWriter(message)
    progress = Progress(
        checkpoints.record, every_rows=config.progress_every_rows, every_seconds=config.progress_every_seconds
    )
    try:
        with upload:  # aborts the multipart upload on any error
            with db.transaction(message.tenant_id) as tx:
                checkpoints.rows_pid = tx.value("SELECT pg_backend_pid()")
                rows = write_file(upload, DatasetContext(tx, job, deadline, config.fetch_rows, progress), config)
                # The last checkpoint: a cancel that came after the previous one still leaves no object.
                if tx.value(CANCEL_REQUESTED_SQL, **ids):
                    raise ExportCancelled(CANCELLED_DETAIL)
            deadline.check()
            size = upload.complete()
    except Exception as exc:
        # The statement a cancel interrupted fails with "canceling statement" (or the stream's own error): the
        # export was cancelled all the same.
        if checkpoints.cancelled and not isinstance(exc, ExportCancelled):
            raise ExportCancelled(CANCELLED_DETAIL) from exc
        raise
    finally:
        checkpoints.close()

    with db.transaction(message.tenant_id) as tx:
        finished_at = clock.utcnow()
        tx.execute(MARK_SUCCEEDED_SQL, row_count=rows, size_bytes=size, now=finished_at, **ids)
        # With the success or not at all: a refused send rolls it back and the export's message is retried.
        deliveries = enqueue_deliveries(tx, message.tenant_id, message.export_id, row["notify"] or [], finished_at)
    logger.info("export produced", extra={**ids, "format": job.options.format, "rows": rows, "bytes": size,
                                          "deliveries": deliveries})  # fmt: skip
    return "produced"


class ExportExpired(PermanentExportError):
    """The export's 24 hours ended before a worker could start it."""


@dataclass(frozen=True)
class Failure:
    """Why an attempt failed: a typed reason an admin can act on (FailureReason) and a sentence for `error`.
    Neither holds internals or personal data: both are shown to the tenant's admins."""

    reason: FailureReason
    detail: str


def classify_failure(exc: BaseException) -> Failure:
    if isinstance(exc, ExportTimeout):
        return Failure("too_large", str(exc))
    if isinstance(exc, ExportExpired):
        return Failure("expired", str(exc))
    if isinstance(exc, (PermanentExportError, ExportNotFound)):
        return Failure("internal", str(exc))
    if isinstance(exc, ServiceUnavailable):
        return Failure("database", "The database was unavailable")
    if isinstance(exc, DatabaseError):
        return Failure("database", "A database query failed")
    if type(exc).__module__.startswith(("botocore", "boto3")):
        return Failure("storage", "The file could not be stored")
    return Failure("internal", "Internal error while producing the file")


def record_failure(
    message: ExportMessage, failure: Failure, detail: str, *, final: bool, database: Database | None = None
) -> None:
    """Failed (final) with its typed reason, or queued again for the next attempt with the reason in `error` only."""
    db = database or get_database()
    now = clock.utcnow()
    try:
        with db.transaction(message.tenant_id) as tx:
            tx.execute(
                MARK_FAILURE_SQL,
                status="failed" if final else "queued",
                error=detail,
                failure_reason=failure.reason if final else None,
                finished_at=now if final else None,
                export_id=message.export_id,
                tenant_id=message.tenant_id,
            )
    except Exception as exc:  # the message is retried either way; the reason is in the log
        logger.error("could not record the export failure", extra={"error_type": type(exc).__name__})


def retry_delay(attempt: int, config: ExportConfig) -> int:
    return int(min(900, config.retry_base_seconds * 2 ** max(attempt - 1, 0)))


def handle_message(
    body: str | None,
    *,
    receive_count: int,
    receipt_handle: str | None,
    deadline: Deadline,
    database: Database | None = None,
) -> str:
    """One message; raises when it must be retried (or, on its last receive, go to the DLQ)."""
    config = get_export_config()
    try:
        message = parse_message(body)
    except MalformedMessage as exc:
        logger.error("malformed export message", extra={"reason": str(exc), "receive_count": receive_count})
        if receipt_handle:
            retry_later(receipt_handle, retry_delay(receive_count, config))
        raise
    try:
        return run_export(message, deadline, database=database)
    except ExportCancelled:
        # Stopped where the admin asked (the upload is aborted): done, nothing to retry.
        db = database or get_database()
        with db.transaction(message.tenant_id) as tx:
            tx.execute(MARK_CANCELLED_SQL, error=CANCELLED_DETAIL, now=clock.utcnow(),
                       export_id=message.export_id, tenant_id=message.tenant_id)  # fmt: skip
        logger.info("export cancelled", extra={"export_id": message.export_id, "tenant_id": message.tenant_id})
        return "cancelled"
    except Exception as exc:
        # A file too big to finish in time would only time out again: fail it now, with a reason that says so.
        permanent = isinstance(exc, (PermanentExportError, ExportTimeout))
        final = permanent or receive_count >= config.max_receives
        failure = classify_failure(exc)
        detail = failure.detail
        if final and not permanent:
            detail = f"Failed after {receive_count} attempts: {detail}"
        elif not final:
            detail = f"Attempt {receive_count} of {config.max_receives} failed: {detail}; retrying"
        logger.warning(
            "export attempt failed",
            extra={
                "export_id": message.export_id,
                "tenant_id": message.tenant_id,
                "attempt": receive_count,
                "final": final,
                "error_type": type(exc).__name__,
                "failure_reason": failure.reason,
            },
        )
        record_failure(message, failure, detail, final=final, database=database)
        if permanent:
            return "failed"
        if receipt_handle:
            # Back soon for the next attempt; after the last one, at once, so the queue moves it to the DLQ
            # (and the DLQ alarm fires) now rather than after the long visibility timeout.
            retry_later(receipt_handle, 0 if final else retry_delay(receive_count, config))
        raise


_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle_batch(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """The export_worker function: every record of the SQS batch, failures reported per record."""
    config = get_export_config()
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        deadline = Deadline(context.get_remaining_time_in_millis, config.time_margin_seconds)
    else:
        deadline = Deadline.unlimited()

    def record_handler(record: SQSRecord) -> str:
        return handle_message(
            record.body,
            receive_count=int(record.attributes.approximate_receive_count or 1),
            receipt_handle=record.receipt_handle,
            deadline=deadline,
        )

    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=_processor, context=context)
    )
