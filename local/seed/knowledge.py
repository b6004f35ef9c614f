"""Help-center articles, their views (some leading to a conversation within 24 hours) and feedback.

Article a covers topic 1 + (a - 1) % T with template (a - 1) / T (T topics): the first template of every
topic is its most read article and is always published.
"""

from __future__ import annotations

import re

from local.seed import vocab
from local.seed.helpers import dim_id, dim_id_lookup, row_id
from local.seed.spec import TenantSpec
from local.seed.sqlkit import Draws, pick, text_array
from local.seed.timeline import rows_per_slot

TOPICS = len(vocab.TOPICS)
LINKED_SHARE = 0.4  # of conversations: the contact read an article in the 24 hours before opening it
DEFLECTED_PER_CONVERSATION = 1.6  # reads that did not lead to a conversation, per conversation
FEEDBACK_SHARE = 0.045

_a = Draws("article", key="a")
_v = Draws("view")


def article_titles(spec: TenantSpec) -> list[str]:
    titles = []
    for template in vocab.ARTICLE_TEMPLATES[: spec.profile.articles_per_topic]:
        for topic in vocab.TOPICS:
            phrase = topic.phrase
            titles.append(template.format(phrase=phrase, Phrase=phrase[0].upper() + phrase[1:]))
    return titles


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def article_index(topic_i: str, popularity_u: str, spec: TenantSpec) -> str:
    """The article of a topic a reader opens: popular templates first."""
    per_topic = spec.profile.articles_per_topic
    return f"({topic_i} + {TOPICS} * floor({per_topic} * power({popularity_u}, 2))::int)"


def published_at_by_article() -> str:
    # An uncorrelated scalar subquery: evaluated once per statement, then an array lookup per row.
    return "(SELECT array_agg(published_at ORDER BY idx) FROM seed_articles)"


def create_articles_sql(spec: TenantSpec) -> str:
    titles = article_titles(spec)
    window = "(pg_temp.seed_end() - pg_temp.seed_start())"
    return f"""
CREATE TEMP TABLE seed_articles ON COMMIT DROP AS
SELECT idx, {dim_id("article", "idx")} AS id, title, slug, status, created_at,
       CASE WHEN status = 'draft' THEN NULL
            WHEN created_at = pg_temp.seed_start() THEN created_at
            ELSE least(pg_temp.seed_end(), created_at + review * interval '3 days') END AS published_at
FROM (
    SELECT a AS idx, title, slug, {_a.u("review")} AS review,
           CASE WHEN a <= {TOPICS} OR {_a.u("status")} < 0.82 THEN 'published'
                WHEN {_a.u("status")} < 0.93 THEN 'draft' ELSE 'archived' END AS status,
           -- Most articles predate the window (they count as published at its start, so that nothing
           -- predates it); a quarter are written during it and published after a short review.
           CASE WHEN a > {TOPICS} AND {_a.u("new")} < 0.25
                THEN pg_temp.seed_start() + {_a.u("written")} * 0.85 * {window}
                ELSE pg_temp.seed_start() END AS created_at
    FROM unnest({text_array(titles)}, {text_array([slugify(t) for t in titles])}) WITH ORDINALITY AS t(title, slug, a)
) drafted
ORDER BY idx
"""


INSERT_ARTICLES = """
INSERT INTO help_center_articles (id, tenant_id, title, slug, status, published_at, created_at)
SELECT id, pg_temp.seed_tenant(), title, slug, status, published_at, created_at
FROM seed_articles ORDER BY idx
"""


def insert_views_and_feedback_sql(spec: TenantSpec) -> str:
    deflected = round(spec.conversations * DEFLECTED_PER_CONVERSATION)
    topic = pick(_v.u("topic"), [(str(i), t.weight) for i, t in enumerate(vocab.TOPICS, start=1)])
    return f"""
WITH v AS MATERIALIZED (
    SELECT key, {dim_id_lookup("article", spec.articles, "article_i")} AS article_id, article_i, viewed_at, contact_id,
           led_to
    FROM (
        -- Readers who went on to open a conversation within 24 hours: the view did not deflect it.
        SELECT 2 * c.n AS key, {article_index("c.topic_i", _v.u("linked_article", "c.n"), spec)} AS article_i,
               c.created_at - interval '2 minutes' - {_v.u("lead_time", "c.n")} * interval '23 hours' AS viewed_at,
               c.contact_id, c.id AS led_to
        FROM seed_conv c
        WHERE c.topic_i IS NOT NULL AND {_v.u("linked", "c.n")} < {LINKED_SHARE}
        UNION ALL
        -- Self-service reads, part by known contacts; popular topics and templates are read most.
        SELECT 2 * n + 1, {article_index("topic_i", "u_article", spec)}, viewed_at,
               CASE WHEN u_known < 0.4 THEN {dim_id("contact", "contact_n")} END, NULL::uuid
        FROM (
            SELECT n, {topic} AS topic_i, {_v.u("article")} AS u_article, {_v.u("known")} AS u_known,
                   {_v.skewed_index("contact", spec.contacts, 1.5)} AS contact_n,
                   s.slot_start + {_v.u("minute")} * interval '1 hour' AS viewed_at
            FROM {rows_per_slot("views", deflected)}
            OFFSET 0
        ) reads
    ) raw
    -- Only published (or since archived) articles are read, and only once they are out.
    WHERE viewed_at >= pg_temp.seed_start() AND {published_at_by_article()}[article_i] <= viewed_at
),
views AS (
    INSERT INTO article_views (id, tenant_id, article_id, viewed_at, contact_id, led_to_conversation_id,
                               updated_at)
    OVERRIDING SYSTEM VALUE
    -- Rows are written when they happen (same seed, same rows).
    SELECT {row_id("key")}, pg_temp.seed_tenant(), article_id, viewed_at, contact_id, led_to, viewed_at FROM v
)
INSERT INTO article_feedback (id, tenant_id, article_id, helpful, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT id, tenant_id, article_id, helpful, created_at, created_at
FROM (
SELECT {row_id("key")} AS id, pg_temp.seed_tenant() AS tenant_id, article_id,
       -- Each article has its own quality, so "most / least helpful" lists are not flat.
       {_v.u("helpful", "key")} < 0.73 + 0.25 * {_a.u("quality", "article_i")} AS helpful,
       least(pg_temp.seed_end(),
             viewed_at + interval '1 minute' + {_v.u("feedback_delay", "key")} * interval '9 minutes') AS created_at
FROM v
WHERE {_v.u("feedback", "key")} < {FEEDBACK_SHARE}
) AS f
"""
