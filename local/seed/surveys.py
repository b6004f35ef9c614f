"""CSAT surveys: sent shortly after resolution; a minority answered, mostly with a rating skewed positive.

Answer rates depend on the channel (a chat customer answers a one-click survey at once, an e-mail survey sits
in an inbox) and rise after a bad experience (unhappy customers say so). A few responses are a comment only:
the schema allows a response without a rating, and the metrics count it as a response that is not rated.
"""

from __future__ import annotations

from local.seed import vocab
from local.seed.helpers import event_id
from local.seed.sqlkit import Draws, lit, pick, text_array

SURVEYED_SHARE = 0.4  # of resolved conversations: the others fall outside the survey policy (contact surveyed lately)
# Share of surveys answered, per channel, after a smooth experience.
ANSWER_RATES = {"chat": 0.23, "web": 0.2, "whatsapp": 0.2, "sms": 0.17, "voice": 0.15, "email": 0.16}
BAD_EXPERIENCE_ANSWERS = 1.25  # times as likely to answer after a breach or an escalation
COMMENT_ONLY_SHARE = 0.08  # of responses: a comment and no rating
COMMENT_SHARE = 0.32  # of rated responses
FOLLOWUP_SHARE = 0.12
COMMENT_ONLY_POSITIVE = 0.6  # of comment-only responses after a smooth experience; the rest neutral
# Rating shares (5 down to 1) after a smooth experience, and after a breach or an escalation.
RATINGS_GOOD = ((5, 55), (4, 29), (3, 9), (2, 4), (1, 3))
RATINGS_BAD = ((5, 20), (4, 22), (3, 22), (2, 17), (1, 19))

_d = Draws("csat")


def _from_pool(pool: tuple[str, ...], u: str) -> str:
    return f"({text_array(pool)})[1 + floor({len(pool)} * {u})::int]"


def _answer_rate() -> str:
    by_channel = " ".join(f"WHEN {lit(channel)} THEN {rate!r}" for channel, rate in ANSWER_RATES.items())
    return f"CASE channel {by_channel} ELSE {min(ANSWER_RATES.values())!r} END"


def insert_surveys_sql() -> str:
    ratings_good = pick(_d.u("rating"), [(str(r), w) for r, w in RATINGS_GOOD])
    ratings_bad = pick(_d.u("rating"), [(str(r), w) for r, w in RATINGS_BAD])
    positive = _from_pool(vocab.CSAT_COMMENTS_POSITIVE, _d.u("comment_text"))
    neutral = _from_pool(vocab.CSAT_COMMENTS_NEUTRAL, _d.u("comment_text"))
    negative = _from_pool(vocab.CSAT_COMMENTS_NEGATIVE, _d.u("comment_text"))
    comment = (
        f"CASE WHEN rating >= 4 THEN {positive} WHEN rating = 3 THEN {neutral} "
        f"WHEN rating IS NOT NULL THEN {negative} "
        # A comment-only response says what a rating would have: a complaint after a bad experience.
        f"WHEN bad_experience THEN {negative} WHEN {_d.u('comment_only_tone')} < {COMMENT_ONLY_POSITIVE} "
        f"THEN {positive} ELSE {neutral} END"
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
       CASE WHEN responded_at IS NOT NULL AND (rating IS NULL OR {_d.u("comment")} < {COMMENT_SHARE})
            THEN {comment} END,
       CASE WHEN rating IS NOT NULL AND {_d.u("followup")} < {FOLLOWUP_SHARE} THEN {followup} END,
       -- The last write: the answer, or the survey going out (same seed, same rows).
       coalesce(responded_at, sent_at)
FROM (
    SELECT n, id, contact_id, channel, sent_at, responded_at, bad_experience,
           -- Breaches and escalations drag the rating down.
           CASE WHEN responded_at IS NULL OR {_d.u("comment_only")} < {COMMENT_ONLY_SHARE} THEN NULL
                WHEN bad_experience THEN {ratings_bad} ELSE {ratings_good} END::smallint AS rating
    FROM (
        SELECT n, id, contact_id, channel, sent_at, bad_experience,
               CASE WHEN {_d.u("answered")} < {_answer_rate()}
                             * CASE WHEN bad_experience THEN {BAD_EXPERIENCE_ANSWERS} ELSE 1 END
                         AND sent_at + answer_delay <= pg_temp.seed_end()
                    THEN sent_at + answer_delay END AS responded_at
        FROM (
            SELECT c.n, c.id, c.contact_id, c.channel,
                   c.resolved_at + interval '5 minutes' + {_d.u("send_delay")} * interval '55 minutes' AS sent_at,
                   {_d.lognormal("answer_delay", 120, 1.1)} * interval '1 minute' AS answer_delay,
                   coalesce(c.escalated OR c.resolved_at > c.resolution_due_at
                            OR c.first_response_at > c.first_response_due_at, false) AS bad_experience
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
