"""Deliveries of finished exports: queued by the worker when an export succeeds, sent by the export_delivery
function (an SQS queue of its own, with a DLQ), one message {"delivery_id", "tenant_id"} per destination.

- enqueue_deliveries (aurion.exports.delivery_queue) runs in the worker's success transaction: the delivery
  rows and the messages exist together or not at all (an SQS refusal rolls the success back and the export's
  message is retried).
- deliver_one sends the e-mail (SES) or the signed webhook POST with the export's tokenised download link
  (aurion.exports.download_links), valid until the export expires. A 2xx (or SES accepting the message)
  delivers it and resets the destination's failure count.
- A failed attempt is recorded on the delivery (attempts, last status, last error: the log an admin reads) and the
  message comes back after an exponential backoff (visibility change: base x 2^(attempt-1), never a sleep). On
  the queue's last receive the delivery is failed and the destination's consecutive failures go up; at
  max_consecutive_failures the destination is switched off with its reason.
- A delivery whose destination is disabled or unverified, or whose export can no longer be downloaded, is skipped.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.db import Database, get_database
from aurion.exports import clock
from aurion.exports.aws import client
from aurion.exports.delivery_config import DeliveryConfig, get_delivery_config
from aurion.exports.destinations import token_hash
from aurion.exports.download_links import download_link
from aurion.exports.email import send_export_ready, send_verification
from aurion.exports.webhook_client import WebhookResult, post_webhook
from aurion.exports.webhooks import destination_secret
from aurion.logs import logger
from aurion.timefmt import iso_z

LOAD_SQL = """
SELECT v.id::text AS delivery_id, v.status AS delivery_status, v.attempts,
       d.id::text AS destination_id, d.kind, d.name, d.email, d.url, d.secret_salt, d.enabled,
       d.verified_at IS NOT NULL AS verified,
       e.id::text AS export_id, e.status AS export_status, e.format, e.scope, e.start_date, e.end_date, e.tz,
       e.row_count, e.size_bytes, e.s3_key, e.expires_at, e.schedule_id::text AS schedule_id
FROM export_deliveries v
JOIN export_destinations d ON d.id = v.destination_id
JOIN exports e ON e.id = v.export_id
WHERE v.id = CAST(:delivery_id AS uuid) AND v.tenant_id = CAST(:tenant_id AS uuid)
FOR UPDATE OF v
"""

FINISH_SQL = """
UPDATE export_deliveries SET status = :status, attempts = attempts + :attempted, last_status_code = :status_code,
       last_error = :error, last_attempt_at = COALESCE(:attempt_at, last_attempt_at),
       delivered_at = CAST(:delivered_at AS timestamptz)
WHERE id = CAST(:delivery_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

DESTINATION_OK_SQL = """
UPDATE export_destinations SET consecutive_failures = 0
WHERE id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

# One more failed delivery in a row; at the threshold the destination switches itself off and says why.
DESTINATION_FAILED_SQL = """
UPDATE export_destinations
SET consecutive_failures = consecutive_failures + 1,
    enabled = enabled AND consecutive_failures + 1 < :max_failures,
    disabled_reason = CASE WHEN enabled AND consecutive_failures + 1 >= :max_failures
        THEN 'Disabled after ' || (consecutive_failures + 1) || ' failed deliveries in a row; the last: ' || :error
        ELSE disabled_reason END,
    disabled_at = CASE WHEN enabled AND consecutive_failures + 1 >= :max_failures THEN :now ELSE disabled_at END
WHERE id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
RETURNING enabled
"""


def _payload(row: dict[str, Any], link: str) -> dict[str, Any]:
    return {
        "type": "export.succeeded",
        "delivery_id": row["delivery_id"],
        "export_id": row["export_id"],
        "schedule_id": row["schedule_id"],
        "format": row["format"],
        "scope": row["scope"],
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
        "tz": row["tz"],
        "row_count": row["row_count"],
        "size_bytes": row["size_bytes"],
        "download_url": link,
        "expires_at": iso_z(row["expires_at"]),
    }


def _skip_reason(row: dict[str, Any], now: datetime) -> str | None:
    if not row["enabled"]:
        return "The destination is disabled"
    if row["kind"] == "email" and not row["verified"]:
        return "The e-mail address is not verified"
    if row["export_status"] != "succeeded" or row["expires_at"] <= now:
        return "The export can no longer be downloaded"
    return None


def _attempt(row: dict[str, Any], tenant_id: str, config: DeliveryConfig) -> WebhookResult:
    # Not a presigned URL: that dies with this function's role session, hours before the export expires.
    link = download_link(config.require_link_base(), config.signing_key(), row["export_id"], tenant_id,
                         row["expires_at"])  # fmt: skip
    if row["kind"] == "webhook":
        secret = destination_secret(config.signing_key(), row["destination_id"], row["secret_salt"])
        body = json.dumps(_payload(row, link), separators=(",", ":")).encode()
        return post_webhook(row["url"], secret, body, allow_private=config.allow_private_webhooks,
                            timeout=config.webhook_timeout_seconds)  # fmt: skip
    try:
        send_export_ready(row["email"], scope=row["scope"], period=f"{row['start_date']} to {row['end_date']}",
                          link=link, expires_at=iso_z(row["expires_at"]) or "", rows=row["row_count"])  # fmt: skip
    except Exception as exc:
        return WebhookResult(None, f"SES refused the message ({type(exc).__name__})")
    return WebhookResult(None, None)


class DeliveryFailed(Exception):
    """The attempt failed and will be retried: the message goes back to the queue after its backoff."""


def deliver_one(delivery_id: str, tenant_id: str, *, receive_count: int, database: Database | None = None) -> str:
    db = database or get_database()
    config = get_delivery_config()
    ids = {"delivery_id": delivery_id, "tenant_id": tenant_id}
    now = clock.utcnow()
    with db.transaction(tenant_id) as tx:
        row = tx.one(LOAD_SQL, **ids)
        if row is None or row["delivery_status"] != "pending":
            return "duplicate"
        reason = _skip_reason(row, now)
        if reason is not None:
            tx.execute(FINISH_SQL, status="skipped", attempted=0, status_code=None, error=reason, attempt_at=None,
                       delivered_at=None, **ids)  # fmt: skip
            return "skipped"
    result = _attempt(row, tenant_id, config)
    ok = result.ok or (row["kind"] == "email" and result.error is None)
    final = not ok and receive_count >= config.max_receives
    with db.transaction(tenant_id) as tx:
        tx.execute(FINISH_SQL, status="delivered" if ok else "failed" if final else "pending", attempted=1,
                   status_code=result.status_code, error=result.error, attempt_at=now,
                   delivered_at=now if ok else None, **ids)  # fmt: skip
        destination = {"destination_id": row["destination_id"], "tenant_id": tenant_id}
        if ok:
            tx.execute(DESTINATION_OK_SQL, **destination)
        elif final:
            still = tx.value(DESTINATION_FAILED_SQL, max_failures=config.max_consecutive_failures,
                             error=result.error or "unknown error", now=now, **destination)  # fmt: skip
            if not still:
                logger.warning("export destination disabled", extra=destination)
    log = {**ids, "destination_id": row["destination_id"], "kind": row["kind"], "attempt": receive_count,
           "status_code": result.status_code}  # fmt: skip
    if ok:
        logger.info("export delivered", extra=log)
        return "delivered"
    logger.warning("export delivery failed", extra={**log, "final": final})
    if final:
        return "failed"
    raise DeliveryFailed(result.error or "failed")


def retry_delay(attempt: int, config: DeliveryConfig) -> int:
    return int(min(900, config.retry_base_seconds * 2 ** max(attempt - 1, 0)))


VERIFICATION_SQL = """
SELECT name, email FROM export_destinations
WHERE id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid) AND kind = 'email'
  AND verified_at IS NULL
FOR UPDATE
"""
SET_TOKEN_SQL = """
UPDATE export_destinations SET verification_token_hash = :token_hash, verification_expires_at = :expires_at
WHERE id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""


def send_verification_code(destination_id: str, tenant_id: str, *, database: Database | None = None) -> str:
    """A new one-time code for an unverified address: its hash stored, the code mailed (committed only once SES
    took the message, so a failed send leaves no code nobody received)."""
    db = database or get_database()
    config = get_delivery_config()
    ids = {"destination_id": destination_id, "tenant_id": tenant_id}
    with db.transaction(tenant_id) as tx:
        row = tx.one(VERIFICATION_SQL, **ids)
        if row is None:  # deleted, or verified meanwhile
            return "duplicate"
        token = secrets.token_urlsafe(12)
        expires_at = clock.utcnow() + timedelta(hours=config.verification_hours)
        tx.execute(SET_TOKEN_SQL, token_hash=token_hash(token), expires_at=expires_at, **ids)
        send_verification(row["email"], row["name"], token, config.verification_hours)
    logger.info("verification code sent", extra=ids)
    return "verification_sent"


def _message(body: str | None) -> tuple[str, str, str]:
    """(kind, id, tenant): a delivery, or an address to send a verification code to."""
    try:
        data = json.loads(body or "")
        kind = "verify" if "verify_destination_id" in data else "deliver"
        target = data["verify_destination_id"] if kind == "verify" else data["delivery_id"]
        return kind, str(uuid.UUID(str(target))), str(uuid.UUID(str(data["tenant_id"])))
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValueError("delivery_id or tenant_id missing or not a UUID") from None


_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle_batch(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """The export_delivery function: each record one delivery; a failed attempt is reported and retried later."""
    config = get_delivery_config()

    def record_handler(record: SQSRecord) -> str:
        receive_count = int(record.attributes.approximate_receive_count or 1)
        try:
            kind, target, tenant_id = _message(record.body)
            if kind == "verify":
                return send_verification_code(target, tenant_id)
            return deliver_one(target, tenant_id, receive_count=receive_count)
        except Exception as exc:
            if not isinstance(exc, DeliveryFailed):
                logger.error("delivery message failed", extra={"error_type": type(exc).__name__})
            try:
                client("sqs").change_message_visibility(
                    QueueUrl=config.require_queue(), ReceiptHandle=record.receipt_handle,
                    VisibilityTimeout=retry_delay(receive_count, config),
                )  # fmt: skip
            except Exception as visibility_error:  # it still comes back, after the queue's own timeout
                logger.warning("could not set the retry delay", extra={"error_type": type(visibility_error).__name__})
            raise

    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=_processor, context=context)
    )
