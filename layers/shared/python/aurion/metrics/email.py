"""Email-channel metrics block of the insights view.

Channels are counted as they are now; conversations by created_at, messages by sent_at, bounced and
complained contacts by the time of the bounce or complaint.
"""

from __future__ import annotations

from aurion.db import Transaction
from aurion.metrics.common import range_params
from aurion.models.conversations import EmailChannelCount, EmailChannelMetrics
from aurion.params import DateRange

# One scan of the range's conversations serves both the email count and the per-channel split.
EMAIL_SQL = """
WITH per_channel AS (
    SELECT email_channel_id,
           count(*) FILTER (WHERE channel = 'email') AS email_conversations,
           count(*) FILTER (WHERE email_channel_id IS NOT NULL) AS conversation_count
    FROM conversations
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
      AND (channel = 'email' OR email_channel_id IS NOT NULL)
    GROUP BY email_channel_id
)
SELECT
    (SELECT count(*) FROM email_channels WHERE tenant_id = CAST(:tenant_id AS uuid)) AS total_channels,
    (SELECT count(*) FROM email_channels
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND status = 'active') AS active_channels,
    (SELECT coalesce(sum(email_conversations), 0)::bigint FROM per_channel) AS email_conversations,
    m.inbound_messages, m.outbound_messages,
    (SELECT count(*) FROM contacts WHERE tenant_id = CAST(:tenant_id AS uuid)
        AND email_bounced_at BETWEEN :start AND :end) AS bounced_contacts,
    (SELECT count(*) FROM contacts WHERE tenant_id = CAST(:tenant_id AS uuid)
        AND email_complained_at BETWEEN :start AND :end) AS complained_contacts,
    (SELECT coalesce(json_agg(json_build_object(
                'channel_id', ch.id, 'address', ch.address, 'status', ch.status,
                'conversation_count', coalesce(n.conversation_count, 0))
            ORDER BY coalesce(n.conversation_count, 0) DESC, ch.address, ch.id), '[]')
       FROM email_channels ch
       LEFT JOIN per_channel n ON n.email_channel_id = ch.id
      WHERE ch.tenant_id = CAST(:tenant_id AS uuid)) AS by_channel
FROM (SELECT count(*) FILTER (WHERE direction = 'inbound') AS inbound_messages,
             count(*) FILTER (WHERE direction = 'outbound') AS outbound_messages
        FROM email_messages
       WHERE tenant_id = CAST(:tenant_id AS uuid) AND sent_at BETWEEN :start AND :end) AS m
"""


def email_channel_metrics(tx: Transaction, tenant_id: str, window: DateRange) -> EmailChannelMetrics:
    row = tx.one(EMAIL_SQL, **range_params(tenant_id, window))
    assert row is not None
    return EmailChannelMetrics(
        **{key: value for key, value in row.items() if key != "by_channel"},
        by_channel=[EmailChannelCount(**item) for item in row["by_channel"]],
    )
