"""Email-channel metrics block of the insights view.

Channels are counted as they are now; conversations by created_at, messages by sent_at, bounced and
complained contacts by the time of the bounce or complaint. Conversations and messages are summed facts
per mailbox (aurion/rollups/email.py).
"""

from __future__ import annotations

from aurion.db import Transaction
from aurion.models.conversations import EmailChannelCount, EmailChannelMetrics
from aurion.params import DateRange
from aurion.rollups.email import email_stats


def email_channel_metrics(tx: Transaction, tenant_id: str, window: DateRange) -> EmailChannelMetrics:
    row = email_stats(tx, tenant_id, window)
    return EmailChannelMetrics(
        **{key: value for key, value in row.items() if key != "by_channel"},
        by_channel=[EmailChannelCount(**item) for item in row["by_channel"]],
    )
