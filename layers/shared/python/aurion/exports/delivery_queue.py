"""Queueing a succeeded export's deliveries, from the worker's success transaction (aurion.exports.delivery sends
them). A module of its own so the worker's cold start loads no e-mail, HTTP or TLS code."""

from __future__ import annotations

import json
from datetime import datetime

from aurion.db import Transaction
from aurion.errors import ServiceUnavailable
from aurion.exports.aws import client
from aurion.exports.delivery_config import get_delivery_config

INSERT_SQL = """
INSERT INTO export_deliveries (id, tenant_id, export_id, destination_id, status, created_at)
SELECT gen_random_uuid(), d.tenant_id, CAST(:export_id AS uuid), d.id, 'pending', :now
FROM export_destinations d
WHERE d.tenant_id = CAST(:tenant_id AS uuid) AND d.id = ANY (CAST(:ids AS uuid[]))
ON CONFLICT (export_id, destination_id) DO NOTHING
RETURNING id::text
"""


def enqueue_deliveries(
    tx: Transaction, tenant_id: str, export_id: str, destination_ids: list[str], now: datetime
) -> int:
    """Create the pending deliveries of a succeeded export and queue them; returns how many were queued."""
    if not destination_ids:
        return 0
    ids = [row["id"] for row in tx.all(INSERT_SQL, tenant_id=tenant_id, export_id=export_id, ids=destination_ids,
                                       now=now)]  # fmt: skip
    if not ids:
        return 0
    queue = get_delivery_config().require_queue()
    entries = [
        {"Id": str(index), "MessageBody": json.dumps({"delivery_id": delivery_id, "tenant_id": tenant_id})}
        for index, delivery_id in enumerate(ids)
    ]
    sqs = client("sqs")
    for start in range(0, len(entries), 10):  # SendMessageBatch takes 10 at most
        result = sqs.send_message_batch(QueueUrl=queue, Entries=entries[start : start + 10])
        if result.get("Failed"):
            raise ServiceUnavailable("Could not queue the export's deliveries")
    return len(ids)
