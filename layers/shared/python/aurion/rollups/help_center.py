"""Help-center facts per article and UTC day: how the rollup is built and a range is read.

Three sources, each placed by its own timestamp: views (viewed_at; deflected when they did not lead to a
conversation), feedback (created_at) and conversations the AI resolved with the article (created_at). The
same SQL builds the rollup days and the raw edges of a range, so their sums equal a raw scan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aurion.db import Transaction
from aurion.params import DateRange
from aurion.rollups.days import DAYS_BETWEEN, count_sums, moved_days, replace_days, utc_day
from aurion.rollups.window import range_split, raw_edges

MEASURES = ("views", "deflected", "helpful", "not_helpful", "ai_resolutions")
_MEASURE_LIST = ", ".join(MEASURES)


def _facts_sql(where: str) -> str:
    """Facts grouped by (day, article_id); `where` is a predicate template on {column}."""
    return f"""
SELECT day, article_id, sum(views)::int AS views, sum(deflected)::int AS deflected, sum(helpful)::int AS helpful,
       sum(not_helpful)::int AS not_helpful, sum(ai_resolutions)::int AS ai_resolutions
FROM (
    SELECT {utc_day("viewed_at")} AS day, article_id, count(*) AS views,
           count(*) FILTER (WHERE led_to_conversation_id IS NULL) AS deflected,
           0 AS helpful, 0 AS not_helpful, 0 AS ai_resolutions
    FROM article_views
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND {where.format(column="viewed_at")}
    GROUP BY 1, 2
    UNION ALL
    SELECT {utc_day("created_at")}, article_id, 0, 0,
           count(*) FILTER (WHERE helpful), count(*) FILTER (WHERE NOT helpful), 0
    FROM article_feedback
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND {where.format(column="created_at")}
    GROUP BY 1, 2
    UNION ALL
    SELECT {utc_day("created_at")}, kb_article_id, 0, 0, 0, 0, count(*)
    FROM conversations
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND {where.format(column="created_at")}
      AND resolved_by = 'ai' AND kb_article_id IS NOT NULL
    GROUP BY 1, 2
) AS sources
GROUP BY day, article_id
"""


# ---- the rollup side (aggregator) --------------------------------------------------------------------------

REBUILD_SQL = f"""
INSERT INTO article_daily (tenant_id, day, article_id, {_MEASURE_LIST})
SELECT CAST(:tenant_id AS uuid), day, article_id, {_MEASURE_LIST} FROM ({_facts_sql(DAYS_BETWEEN)}) AS facts
"""

# Views and feedback written since the last run (arrived late; a view found to have led to a conversation)
# and conversations written since (resolved by the AI with an article, or no longer).
DIRTY_DAYS_SQL = f"""
SELECT {utc_day("viewed_at")} AS day FROM article_views
WHERE tenant_id = CAST(:tenant_id AS uuid) AND updated_at > :changed_since
UNION
SELECT {utc_day("created_at")} FROM article_feedback
WHERE tenant_id = CAST(:tenant_id AS uuid) AND updated_at > :changed_since
UNION
SELECT {utc_day("created_at")} FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND updated_at > :changed_since
UNION{moved_days("article_views", "article_feedback", "conversations")}
"""

FIRST_DAY_SQL = f"""
SELECT least(
    (SELECT {utc_day("min(viewed_at)")} FROM article_views WHERE tenant_id = CAST(:tenant_id AS uuid)),
    (SELECT {utc_day("min(created_at)")} FROM article_feedback WHERE tenant_id = CAST(:tenant_id AS uuid)),
    (SELECT {utc_day("min(created_at)")} FROM conversations
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND resolved_by = 'ai' AND kb_article_id IS NOT NULL))
"""


def rebuild(tx: Transaction, tenant_id: str, first: date, last: date, as_of: datetime) -> None:
    replace_days(tx, tenant_id, first, last, ["article_daily"], [REBUILD_SQL])


# ---- the query side (endpoints) ----------------------------------------------------------------------------

TOP_ARTICLES = 5

_SUMS = count_sums(MEASURES)

# Per article over the range; totals and the top list come from it. Only articles with views are "viewed",
# as in a scan of the views.
STATS_SQL = f"""
WITH per_article AS (
    SELECT article_id, {_SUMS} FROM (
        SELECT article_id, {_MEASURE_LIST} FROM article_daily
        WHERE tenant_id = CAST(:tenant_id AS uuid) AND day >= :day_from AND day < :day_to
        UNION ALL
        SELECT article_id, {_MEASURE_LIST} FROM ({_facts_sql(raw_edges("{column}"))}) AS edge
    ) AS facts
    GROUP BY article_id
)
SELECT
    (SELECT count(*) FROM help_center_articles
      WHERE tenant_id = CAST(:tenant_id AS uuid) AND status = 'published') AS published_articles,
    coalesce(sum(views), 0)::bigint AS total_views,
    coalesce(sum(deflected), 0)::bigint AS deflected_views,
    coalesce(sum(helpful), 0)::bigint AS helpful,
    coalesce(sum(not_helpful), 0)::bigint AS not_helpful,
    coalesce(sum(ai_resolutions), 0)::bigint AS ai_resolutions,
    (SELECT coalesce(json_agg(json_build_object(
                'article_id', a.id, 'title', a.title, 'slug', a.slug, 'view_count', top.views,
                'helpful_count', top.helpful, 'not_helpful_count', top.not_helpful)
            ORDER BY top.views DESC, a.id), '[]')
       FROM (SELECT * FROM per_article WHERE views > 0 ORDER BY views DESC, article_id LIMIT :top) AS top
       JOIN help_center_articles a ON a.id = top.article_id) AS top_articles
FROM per_article
"""


def help_center_stats(tx: Transaction, tenant_id: str, window: DateRange) -> dict[str, Any]:
    """Published articles, the range's view / feedback / AI-resolution totals and its top articles."""
    split = range_split(tx, tenant_id, window)
    row = tx.one(STATS_SQL, tenant_id=tenant_id, top=TOP_ARTICLES, **split.params())
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row
