"""Busiest hours and top topics blocks of the insights view (conversations by created_at, UTC)."""

from __future__ import annotations

from aurion.db import Transaction
from aurion.metrics.common import range_params
from aurion.models.conversations import HourCount, TopicShare
from aurion.params import DateRange

TOP_TOPICS = 10

HOURS_SQL = """
SELECT date_part('hour', created_at AT TIME ZONE 'UTC')::int AS hour_utc, count(*) AS conversation_count
FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
GROUP BY 1
ORDER BY conversation_count DESC, hour_utc
"""

# share is over every conversation in the range, those without a topic included.
TOPICS_SQL = """
SELECT topic, conversation_count, aurion_pct(conversation_count, total) AS share
FROM (
    SELECT topic, count(*) AS conversation_count, sum(count(*)) OVER () AS total
    FROM conversations
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
    GROUP BY topic
) AS topics
WHERE topic IS NOT NULL
ORDER BY conversation_count DESC, topic
LIMIT :top
"""


def busiest_hours(tx: Transaction, tenant_id: str, window: DateRange) -> list[HourCount]:
    return [HourCount(**row) for row in tx.all(HOURS_SQL, **range_params(tenant_id, window))]


def top_topics(tx: Transaction, tenant_id: str, window: DateRange) -> list[TopicShare]:
    rows = tx.all(TOPICS_SQL, top=TOP_TOPICS, **range_params(tenant_id, window))
    return [
        TopicShare(topic=r["topic"], conversation_count=r["conversation_count"], share=float(r["share"])) for r in rows
    ]
