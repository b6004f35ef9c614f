"""Help-center deflection (insights) and the knowledge-base block of the unified overview.

Views and feedback fall in the range by viewed_at / created_at. A view deflected when the reader did not
go on to open a conversation (led_to_conversation_id is null).
"""

from __future__ import annotations

from typing import Any

from aurion.db import Transaction
from aurion.metrics.common import range_params
from aurion.models.conversations import HelpCenterDeflection, TopArticle
from aurion.params import DateRange

TOP_ARTICLES = 5

TOTALS_SQL = """
SELECT
    (SELECT count(*) FROM help_center_articles
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND status = 'published') AS published_articles,
    v.total_views, v.deflected_views, f.helpful, f.not_helpful,
    (SELECT count(*) FROM conversations
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
        AND resolved_by = 'ai' AND kb_article_id IS NOT NULL) AS ai_resolutions
FROM (SELECT count(*) AS total_views, count(*) FILTER (WHERE led_to_conversation_id IS NULL) AS deflected_views
        FROM article_views
       WHERE tenant_id = CAST(:tenant_id AS uuid) AND viewed_at BETWEEN :start AND :end) AS v,
     (SELECT count(*) FILTER (WHERE helpful) AS helpful, count(*) FILTER (WHERE NOT helpful) AS not_helpful
        FROM article_feedback
       WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end) AS f
"""

TOP_ARTICLES_SQL = """
WITH views AS (
    SELECT article_id, count(*) AS view_count
    FROM article_views
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND viewed_at BETWEEN :start AND :end
    GROUP BY article_id
    ORDER BY view_count DESC, article_id
    LIMIT :top
)
SELECT a.id::text AS article_id, a.title, a.slug, v.view_count,
       count(*) FILTER (WHERE f.helpful) AS helpful_count,
       count(*) FILTER (WHERE NOT f.helpful) AS not_helpful_count
FROM views v
JOIN help_center_articles a ON a.id = v.article_id
LEFT JOIN article_feedback f
       ON f.article_id = v.article_id AND f.created_at BETWEEN :start AND :end
GROUP BY a.id, a.title, a.slug, v.view_count
ORDER BY v.view_count DESC, a.id
"""


def help_center_totals(tx: Transaction, tenant_id: str, window: DateRange) -> dict[str, Any]:
    row = tx.one(TOTALS_SQL, **range_params(tenant_id, window))
    assert row is not None
    return row


def help_center_deflection(tx: Transaction, tenant_id: str, window: DateRange) -> HelpCenterDeflection:
    totals = help_center_totals(tx, tenant_id, window)
    top = tx.all(TOP_ARTICLES_SQL, top=TOP_ARTICLES, **range_params(tenant_id, window))
    views = totals["total_views"]
    return HelpCenterDeflection(
        article_count=totals["published_articles"],
        total_views=views,
        helpful_feedback=totals["helpful"],
        not_helpful_feedback=totals["not_helpful"],
        deflection_rate=round(100.0 * totals["deflected_views"] / views, 1) if views else 0.0,
        top_articles=[TopArticle(**row) for row in top],
    )
