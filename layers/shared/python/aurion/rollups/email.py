"""Email facts per mailbox (email channel) and UTC day: how the rollup is built and a range is read.

Conversations by created_at (on the email channel; with a mailbox), messages by sent_at and direction. The
same SQL builds the rollup days and the raw edges of a range, so their sums equal a raw scan. Contacts'
bounces and complaints are not here: their partial indexes make the raw count cheap.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aurion.db import Transaction
from aurion.params import DateRange
from aurion.rollups.days import DAYS_BETWEEN, count_sums, moved_days, replace_days, utc_day
from aurion.rollups.window import range_split, raw_edges

MEASURES = ("email_conversations", "channel_conversations", "inbound_messages", "outbound_messages")
_MEASURE_LIST = ", ".join(MEASURES)


def _facts_sql(where: str) -> str:
    """Facts grouped by (day, channel_id); `where` is a predicate template on {column}."""
    return f"""
SELECT day, channel_id, sum(email_conversations)::int AS email_conversations,
       sum(channel_conversations)::int AS channel_conversations,
       sum(inbound_messages)::int AS inbound_messages, sum(outbound_messages)::int AS outbound_messages
FROM (
    SELECT {utc_day("created_at")} AS day, email_channel_id AS channel_id,
           count(*) FILTER (WHERE channel = 'email') AS email_conversations,
           count(*) FILTER (WHERE email_channel_id IS NOT NULL) AS channel_conversations,
           0 AS inbound_messages, 0 AS outbound_messages
    FROM conversations
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND {where.format(column="created_at")}
      AND (channel = 'email' OR email_channel_id IS NOT NULL)
    GROUP BY 1, 2
    UNION ALL
    SELECT {utc_day("sent_at")}, email_channel_id, 0, 0,
           count(*) FILTER (WHERE direction = 'inbound'), count(*) FILTER (WHERE direction = 'outbound')
    FROM email_messages
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND {where.format(column="sent_at")}
    GROUP BY 1, 2
) AS sources
GROUP BY day, channel_id
"""


# ---- the rollup side (aggregator) --------------------------------------------------------------------------

REBUILD_SQL = f"""
INSERT INTO email_daily (tenant_id, day, channel_id, {_MEASURE_LIST})
SELECT CAST(:tenant_id AS uuid), day, channel_id, {_MEASURE_LIST} FROM ({_facts_sql(DAYS_BETWEEN)}) AS facts
"""

# Messages written since the last run (ingested late), conversations written since (a channel or mailbox
# changed, or the mailbox was deleted), and the old days of either deleted or moved (0014's triggers).
DIRTY_DAYS_SQL = f"""
SELECT {utc_day("sent_at")} AS day FROM email_messages
WHERE tenant_id = CAST(:tenant_id AS uuid) AND updated_at > :changed_since
UNION
SELECT {utc_day("created_at")} FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND updated_at > :changed_since
UNION{moved_days("email_messages", "conversations")}
"""

FIRST_DAY_SQL = f"""
SELECT least(
    (SELECT {utc_day("min(sent_at)")} FROM email_messages WHERE tenant_id = CAST(:tenant_id AS uuid)),
    (SELECT {utc_day("min(created_at)")} FROM conversations
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND (channel = 'email' OR email_channel_id IS NOT NULL)))
"""


def rebuild(tx: Transaction, tenant_id: str, first: date, last: date, as_of: datetime) -> None:
    replace_days(tx, tenant_id, first, last, ["email_daily"], [REBUILD_SQL])


# ---- the query side (endpoints) ----------------------------------------------------------------------------

_SUMS = count_sums(MEASURES)

# Per mailbox over the range (null: email conversations without one); channels are listed as they are now.
EMAIL_SQL = f"""
WITH per_channel AS (
    SELECT channel_id, {_SUMS} FROM (
        SELECT channel_id, {_MEASURE_LIST} FROM email_daily
        WHERE tenant_id = CAST(:tenant_id AS uuid) AND day >= :day_from AND day < :day_to
        UNION ALL
        SELECT channel_id, {_MEASURE_LIST} FROM ({_facts_sql(raw_edges("{column}"))}) AS edge
    ) AS facts
    GROUP BY channel_id
)
SELECT
    (SELECT count(*) FROM email_channels WHERE tenant_id = CAST(:tenant_id AS uuid)) AS total_channels,
    (SELECT count(*) FROM email_channels
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND status = 'active') AS active_channels,
    (SELECT coalesce(sum(email_conversations), 0)::bigint FROM per_channel) AS email_conversations,
    (SELECT coalesce(sum(inbound_messages), 0)::bigint FROM per_channel) AS inbound_messages,
    (SELECT coalesce(sum(outbound_messages), 0)::bigint FROM per_channel) AS outbound_messages,
    (SELECT count(*) FROM contacts WHERE tenant_id = CAST(:tenant_id AS uuid)
        AND email_bounced_at BETWEEN :start AND :end) AS bounced_contacts,
    (SELECT count(*) FROM contacts WHERE tenant_id = CAST(:tenant_id AS uuid)
        AND email_complained_at BETWEEN :start AND :end) AS complained_contacts,
    (SELECT coalesce(json_agg(json_build_object(
                'channel_id', ch.id, 'address', ch.address, 'status', ch.status,
                'conversation_count', coalesce(n.channel_conversations, 0))
            ORDER BY coalesce(n.channel_conversations, 0) DESC, ch.address, ch.id), '[]')
       FROM email_channels ch
       LEFT JOIN per_channel n ON n.channel_id = ch.id
      WHERE ch.tenant_id = CAST(:tenant_id AS uuid)) AS by_channel
"""


def email_stats(tx: Transaction, tenant_id: str, window: DateRange) -> dict[str, Any]:
    split = range_split(tx, tenant_id, window)
    row = tx.one(EMAIL_SQL, tenant_id=tenant_id, **split.params())
    assert row is not None  # a SELECT without FROM always returns one row
    return row
