"""The export queue: one message per export to produce, {"export_id", "tenant_id"} and nothing personal."""

from __future__ import annotations

import json

from aurion.errors import ServiceUnavailable
from aurion.exports.aws import client
from aurion.logs import logger
from aurion.settings import get_settings


def queue_url() -> str:
    url = get_settings().exports_queue_url
    if not url:
        raise ServiceUnavailable("Exports are not configured (EXPORTS_QUEUE_URL)")
    return url


def enqueue_export(export_id: str, tenant_id: str) -> None:
    body = json.dumps({"export_id": export_id, "tenant_id": tenant_id}, separators=(",", ":"))
    try:
        client("sqs").send_message(QueueUrl=queue_url(), MessageBody=body)
    except ServiceUnavailable:
        raise
    except Exception as exc:
        logger.error("could not queue export", extra={"export_id": export_id, "error_type": type(exc).__name__})
        raise ServiceUnavailable("Could not queue the export, retry shortly") from exc


def retry_later(receipt_handle: str, delay_seconds: int) -> None:
    """Bring a failed message back after delay_seconds instead of the queue's (long) visibility timeout."""
    try:
        client("sqs").change_message_visibility(
            QueueUrl=queue_url(), ReceiptHandle=receipt_handle, VisibilityTimeout=delay_seconds
        )
    except Exception as exc:  # the message still comes back, only later
        logger.warning("could not shorten the retry delay", extra={"error_type": type(exc).__name__})
