"""Help-center deflection (insights) and the knowledge-base block of the unified overview.

Views and feedback fall in the range by viewed_at / created_at. A view deflected when the reader did not
go on to open a conversation (led_to_conversation_id is null).
"""

from __future__ import annotations

from typing import Any

from aurion.db import Transaction
from aurion.metrics.common import pct, range_params
from aurion.models.conversations import HelpCenterDeflection, TopArticle
from aurion.params import DateRange

TOP_ARTICLES = 5

# One scan of the range's views and one of its feedback, per article; totals and the top list come from those.
STATS_SQL = """
WITH v AS (
    SELECT article_id, count(*) AS views, count(*) FILTER (WHERE led_to_conversation_id IS NULL) AS deflected
    FROM article_views
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND viewed_at BETWEEN :start AND :end
    GROUP BY article_id
), f AS (
    SELECT article_id, count(*) FILTER (WHERE helpful) AS helpful, count(*) FILTER (WHERE NOT helpful) AS not_helpful
    FROM article_feedback
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
    GROUP BY article_id
)
SELECT
    (SELECT count(*) FROM help_center_articles
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND status = 'published') AS published_articles,
    (SELECT coalesce(sum(views), 0)::bigint FROM v) AS total_views,
    (SELECT coalesce(sum(deflected), 0)::bigint FROM v) AS deflected_views,
    (SELECT coalesce(sum(helpful), 0)::bigint FROM f) AS helpful,
    (SELECT coalesce(sum(not_helpful), 0)::bigint FROM f) AS not_helpful,
    (SELECT coalesce(json_agg(json_build_object(
                'article_id', a.id, 'title', a.title, 'slug', a.slug, 'view_count', v.views,
                'helpful_count', coalesce(f.helpful, 0), 'not_helpful_count', coalesce(f.not_helpful, 0))
            ORDER BY v.views DESC, a.id), '[]')
       FROM (SELECT * FROM v ORDER BY views DESC, article_id LIMIT :top) AS v
       JOIN help_center_articles a ON a.id = v.article_id
       LEFT JOIN f ON f.article_id = v.article_id) AS top_articles
"""

AI_RESOLUTIONS_SQL = """
SELECT count(*) FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
  AND resolved_by = 'ai' AND kb_article_id IS NOT NULL
"""


def help_center_stats(tx: Transaction, tenant_id: str, window: DateRange) -> dict[str, Any]:
    row = tx.one(STATS_SQL, top=TOP_ARTICLES, **range_params(tenant_id, window))
    assert row is not None
    return row


def ai_resolutions(tx: Transaction, tenant_id: str, window: DateRange) -> int:
    """Conversations created in the range that the AI resolved with a help-center article."""
    return int(tx.value(AI_RESOLUTIONS_SQL, **range_params(tenant_id, window)))


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
