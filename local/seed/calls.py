"""Phone calls (voice product), staged in seed_calls (llm_usage reads it) then copied to calls.

Part of the calls that created a ticket are the voice-channel conversations: the call ends when the
conversation is created, from that contact's number, and links to it. The others follow the office-hours
profile, from a pool of callers in which a few numbers call again and again.
"""

from __future__ import annotations

from local.seed import vocab
from local.seed.helpers import event_id
from local.seed.spec import TenantSpec
from local.seed.sqlkit import Draws, lit, pick, pick_literal, text_array
from local.seed.timeline import rows_per_slot

LINKED_SHARE = 0.10  # of all calls: ticket-creating calls tied to a voice conversation
FAILED_SHARE = 0.15
OUTBOUND_SHARE = 0.10
FCR_SHARE = 0.8  # of calls resolved during the call: resolved on first contact

_d = Draws("call", key="cn")


def linked_calls(spec: TenantSpec, voice_conversations: int) -> int:
    return min(voice_conversations, round(spec.calls * LINKED_SHARE))


def create_calls_sql(spec: TenantSpec, linked: int) -> str:
    topic_category = text_array([t.call_category for t in vocab.TOPICS])
    median = " ".join(f"WHEN {lit(o)} THEN {s}" for o, s in vocab.CALL_MEDIAN_SECONDS.items())
    return f"""
CREATE TEMP TABLE seed_calls ON COMMIT DROP AS
SELECT cn, {event_id("call", "started_at", "cn")} AS id, phone_number, direction, started_at,
       started_at + duration_seconds * interval '1 second' AS ended_at, duration_seconds, status, outcome, category,
       fcr AS first_call_resolution,
       CASE WHEN outcome = 'resolved' AND fcr
                 -- Solved during the call, a little before hanging up.
                 THEN duration_seconds - floor(least(duration_seconds, 40) * {_d.u("wrap_up")})::int
            WHEN outcome = 'resolved'
                 -- Solved by a follow-up after the call (not on first contact), within the window.
                 THEN least(duration_seconds + round({_d.lognormal("follow_up", 4 * 3600, 0.9)})::int,
                            floor(date_part('epoch', pg_temp.seed_end() - started_at))::int)
            WHEN conv_resolved_at IS NOT NULL
                 THEN floor(date_part('epoch', conv_resolved_at - started_at))::int
       END AS resolution_seconds,
       conv_id AS conversation_id, caller_n, first_name, last_name, email
FROM (
    SELECT *,
           -- A linked call ends when its conversation is opened; the others may not run past the window.
           CASE WHEN linked THEN anchor - duration_seconds * interval '1 second' ELSE anchor END AS started_at
    FROM (
        SELECT *,
               CASE WHEN linked THEN least(planned_s, floor(date_part('epoch', anchor - pg_temp.seed_start()))::int)
                    ELSE least(planned_s, floor(date_part('epoch', pg_temp.seed_end() - anchor))::int)
               END AS duration_seconds,
               outcome = 'resolved' AND {_d.u("fcr")} < {FCR_SHARE} AS fcr
        FROM (
            SELECT *,
                   -- A quarter of abandoned calls never connected at all.
                   CASE WHEN outcome = 'abandoned' AND {_d.u("no_answer")} < 0.25 THEN 0
                        ELSE greatest(1, round((CASE outcome {median} END) * exp(0.6 * {_d.z("duration")})))::int
                   END AS planned_s
            FROM (
                SELECT cn, anchor, caller_n, conv_id, conv_resolved_at, linked,
                       pg_temp.seed_phone(caller_n) AS phone_number,
                       pg_temp.seed_first(caller_n) AS first_name, pg_temp.seed_last(caller_n) AS last_name,
                       pg_temp.seed_email(caller_n) AS email,
                       CASE WHEN NOT linked AND {_d.u("direction")} < {OUTBOUND_SHARE}
                            THEN 'outbound' ELSE 'inbound' END AS direction,
                       CASE WHEN NOT linked AND {_d.u("failed")} < {FAILED_SHARE}
                            THEN 'failed' ELSE 'completed' END AS status,
                       CASE WHEN linked THEN 'ticket_created'
                            WHEN {_d.u("failed")} < {FAILED_SHARE}
                            THEN {pick_literal(_d.u("outcome"), vocab.CALL_OUTCOMES_FAILED)}
                            ELSE {pick_literal(_d.u("outcome"), vocab.CALL_OUTCOMES_COMPLETED)} END AS outcome,
                       CASE WHEN linked THEN coalesce(({topic_category})[topic_i], 'general_inquiry')
                            ELSE {pick_literal(_d.u("category"), vocab.CALL_CATEGORIES)} END AS category
                FROM (
                    SELECT cn, c.created_at AS anchor, c.contact_n AS caller_n, c.id AS conv_id,
                           c.resolved_at AS conv_resolved_at, c.topic_i, true AS linked
                    FROM (
                        SELECT row_number() OVER (ORDER BY {_d.u("linked", "n")}, n) AS cn, *
                        FROM seed_conv WHERE channel = 'voice'
                    ) c
                    WHERE cn <= {linked}
                    UNION ALL
                    SELECT {linked} + n, s.slot_start + {_d.u("minute", "n")} * interval '1 hour',
                           {_d.skewed_index("caller", spec.callers, 1.8, "n")}, NULL, NULL, NULL, false
                    FROM {rows_per_slot("calls", spec.calls - linked)}
                ) skeleton
                OFFSET 0
            ) described
            OFFSET 0
        ) planned
        OFFSET 0
    ) measured
    OFFSET 0
) placed
ORDER BY cn
"""


def insert_calls_sql(spec: TenantSpec) -> str:
    return f"""
INSERT INTO calls (id, tenant_id, phone_number, direction, started_at, ended_at, duration_seconds, status, outcome,
                   category, first_call_resolution, resolution_seconds, conversation_id, transcript, updated_at)
-- Written when the call ends (same seed, same rows).
SELECT id, pg_temp.seed_tenant(), phone_number, direction, started_at, ended_at, duration_seconds, status, outcome,
       category, first_call_resolution, resolution_seconds, conversation_id, {_transcript(spec)},
       coalesce(ended_at, started_at)
FROM seed_calls
ORDER BY cn
"""


def _transcript(spec: TenantSpec) -> str:
    """What was said, with the phone numbers and e-mail addresses exports must redact."""
    number = f"CASE WHEN {_d.u('raw_number')} < 0.3 THEN phone_number ELSE pg_temp.seed_spoken_phone(phone_number) END"
    contact_line = pick(
        _d.u("pii"),
        [
            (f"'Caller: Sure, my number is ' || {number} || ' and my email is ' || email || '.'", 55),
            (f"'Caller: You can reach me on ' || {number} || '.'", 20),
            ("'Caller: It''s ' || email || ', all lower case.'", 15),
            ("'Caller: Just use the details on my account, please.'", 10),
        ],
    )
    openers = text_array([vocab.CALL_OPENERS[name] for name, _ in vocab.CALL_CATEGORIES])
    category_index = " ".join(f"WHEN {lit(name)} THEN {i}" for i, (name, _) in enumerate(vocab.CALL_CATEGORIES, 1))
    closing = " ".join(f"WHEN {lit(o)} THEN {lit(text)}" for o, text in vocab.CALL_CLOSINGS.items())
    greeting = f"Agent: Thank you for calling {spec.display_name} support, this is Aurion. How can I help you today?"
    return f"""CASE
        WHEN outcome = 'abandoned' THEN NULL
        WHEN outcome = 'voicemail'
        THEN 'Voicemail: Hi, this is ' || first_name || '. Please call me back on ' || {number}
             || ', or email me at ' || email || '. Thanks.'
        ELSE concat_ws(E'\\n',
            {lit(greeting)},
            'Caller: Hi, this is ' || first_name || ' ' || last_name || '. '
                || ({openers})[CASE category {category_index} ELSE 4 END],
            'Agent: I can help with that. Could I take a callback number and an email address for the ticket?',
            {contact_line},
            CASE outcome {closing} END)
    END"""
