"""The rollup queue (AGGREGATOR_QUEUE_URL): the dispatcher sends jobs in batches of ten, the worker shortens a
busy tenant's retry. botocore's client, created on first use (as aurion/exports/aws.py, which this layer does not
import)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aurion.logs import logger
from aurion.settings import get_settings

# SendMessageBatch's limit.
BATCH = 10
# Batches in flight at once: a cycle after midnight queues a message per tenant.
SENDERS = 8

_clients: dict[str | None, Any] = {}


class QueueUnavailable(RuntimeError):
    pass


def _client() -> Any:
    endpoint = get_settings().aws_endpoint_url
    if endpoint not in _clients:
        import botocore.session
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "max_attempts": 4})
        _clients[endpoint] = botocore.session.get_session().create_client("sqs", endpoint_url=endpoint, config=config)
    return _clients[endpoint]


def reset_client() -> None:
    _clients.clear()


def queue_url() -> str:
    url = get_settings().aggregator_queue_url
    if not url:
        raise QueueUnavailable("AGGREGATOR_QUEUE_URL is not set")
    return url


def _send_batch(url: str, bodies: Sequence[str]) -> None:
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    for _attempt in range(3):
        response = _client().send_message_batch(QueueUrl=url, Entries=entries)
        failed = {entry["Id"] for entry in response.get("Failed", [])}
        if not failed:
            return
        entries = [entry for entry in entries if entry["Id"] in failed]
    raise QueueUnavailable(f"{len(entries)} rollup jobs could not be queued")


def send_bodies(bodies: Sequence[str]) -> None:
    """Every body queued, or QueueUnavailable (what was sent stays sent: a job runs idempotently twice)."""
    if not bodies:
        return
    url = queue_url()
    batches = [bodies[i : i + BATCH] for i in range(0, len(bodies), BATCH)]
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(batches))) as pool:
        for future in [pool.submit(_send_batch, url, batch) for batch in batches]:
            future.result()


def retry_later(receipt_handle: str, delay_seconds: int) -> None:
    """Bring a message back after delay_seconds instead of the queue's visibility timeout."""
    try:
        _client().change_message_visibility(
            QueueUrl=queue_url(), ReceiptHandle=receipt_handle, VisibilityTimeout=delay_seconds
        )
    except Exception as exc:  # the message still comes back, only later
        logger.warning("could not shorten the retry delay", extra={"error_type": type(exc).__name__})
