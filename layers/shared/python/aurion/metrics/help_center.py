"""Help-center deflection (insights) and the knowledge-base block of the unified overview.

Views and feedback fall in the range by viewed_at / created_at. A view deflected when the reader did not
go on to open a conversation (led_to_conversation_id is null). The numbers are summed facts per article
(aurion/rollups/help_center.py).
"""

from __future__ import annotations

from aurion.db import Transaction
from aurion.metrics.common import pct
from aurion.models.conversations import HelpCenterDeflection, TopArticle
from aurion.params import DateRange
from aurion.rollups.help_center import help_center_stats


def help_center_deflection(tx: Transaction, tenant_id: str, window: DateRange) -> HelpCenterDeflection:
    stats = help_center_stats(tx, tenant_id, window)
    return HelpCenterDeflection(
        article_count=stats["published_articles"],
        total_views=stats["total_views"],
        helpful_feedback=stats["helpful"],
        not_helpful_feedback=stats["not_helpful"],
        deflection_rate=pct(stats["deflected_views"], stats["total_views"]),
        top_articles=[TopArticle(**article) for article in stats["top_articles"]],
    )
