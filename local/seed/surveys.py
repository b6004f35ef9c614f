"""CSAT surveys: sent shortly after resolution; most answered, with a rating skewed positive."""

from __future__ import annotations

from local.seed import vocab
from local.seed.helpers import event_id
from local.seed.sqlkit import Draws, pick, text_array

SURVEYED_SHARE = 0.4
ANSWERED_SHARE = 0.7
COMMENT_SHARE = 0.35
FOLLOWUP_SHARE = 0.12
# Rating shares (5 down to 1) after a smooth experience, and after a breach or an escalation.
RATINGS_GOOD = ((5, 55), (4, 29), (3, 9), (2, 4), (1, 3))
RATINGS_BAD = ((5, 25), (4, 24), (3, 21), (2, 15), (1, 15))

_d = Draws("csat")


def _from_pool(pool: tuple[str, ...], u: str) -> str:
    return f"({text_array(pool)})[1 + floor({len(pool)} * {u})::int]"


def insert_surveys_sql() -> str:
    ratings_good = pick(_d.u("rating"), [(str(r), w) for r, w in RATINGS_GOOD])
    ratings_bad = pick(_d.u("rating"), [(str(r), w) for r, w in RATINGS_BAD])
    comment = (
        f"CASE WHEN rating >= 4 THEN {_from_pool(vocab.CSAT_COMMENTS_POSITIVE, _d.u('comment_text'))} "
        f"WHEN rating = 3 THEN {_from_pool(vocab.CSAT_COMMENTS_NEUTRAL, _d.u('comment_text'))} "
        f"ELSE {_from_pool(vocab.CSAT_COMMENTS_NEGATIVE, _d.u('comment_text'))} END"
    )
    followup = (
        f"CASE WHEN rating >= 4 THEN {_from_pool(vocab.CSAT_FOLLOWUPS_GOOD, _d.u('followup_text'))} "
        f"ELSE {_from_pool(vocab.CSAT_FOLLOWUPS_BAD, _d.u('followup_text'))} END"
    )
    return f"""
INSERT INTO csat_surveys (id, tenant_id, conversation_id, contact_id, channel, sent_at, responded_at, rating,
                          comment, followup_answer, updated_at)
SELECT {event_id("csat", "sent_at", "n")}, pg_temp.seed_tenant(), id, contact_id, channel, sent_at, responded_at,
       rating,
       CASE WHEN rating IS NOT NULL AND {_d.u("comment")} < {COMMENT_SHARE} THEN {comment} END,
       CASE WHEN rating IS NOT NULL AND {_d.u("followup")} < {FOLLOWUP_SHARE} THEN {followup} END,
       -- The last write: the answer, or the survey going out (same seed, same rows).
       coalesce(responded_at, sent_at)
FROM (
    SELECT n, id, contact_id, channel, sent_at, responded_at,
           -- Every response carries a rating; breaches and escalations drag it down.
           CASE WHEN responded_at IS NULL THEN NULL
                WHEN bad_experience THEN {ratings_bad} ELSE {ratings_good} END::smallint AS rating
    FROM (
        SELECT n, id, contact_id, channel, sent_at, bad_experience,
               CASE WHEN {_d.u("answered")} < {ANSWERED_SHARE}
                         AND sent_at + answer_delay <= pg_temp.seed_end()
                    THEN sent_at + answer_delay END AS responded_at
        FROM (
            SELECT c.n, c.id, c.contact_id, c.channel,
                   c.resolved_at + interval '5 minutes' + {_d.u("send_delay")} * interval '55 minutes' AS sent_at,
                   {_d.lognormal("answer_delay", 120, 1.1)} * interval '1 minute' AS answer_delay,
                   c.escalated OR c.resolved_at > c.resolution_due_at
                       OR c.first_response_at > c.first_response_due_at AS bad_experience
            FROM seed_conv c
            WHERE c.resolved_at IS NOT NULL AND {_d.u("surveyed")} < {SURVEYED_SHARE}
            OFFSET 0
        ) sent
        WHERE sent_at <= pg_temp.seed_end()
        OFFSET 0
    ) answered
    OFFSET 0
) rated
"""
