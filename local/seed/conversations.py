"""Conversations: staged once in seed_conv (with the draws later tables need), then copied to the real table.

The stage is built in layers separated by OFFSET 0: without the fence PostgreSQL would flatten the layers
and recompute an inner expression (a hash, a CASE) once per reference in the outer layer.
"""

from __future__ import annotations

from local.seed import vocab
from local.seed.directory import BILLING, LEGACY, MAILBOXES, SUPPORT, TEAM_SPACING, directory
from local.seed.helpers import dim_id, dim_id_lookup, event_id
from local.seed.knowledge import article_index, published_at_by_article
from local.seed.spec import TenantSpec
from local.seed.sqlkit import Draws, lit, num_array, pick, pick_literal, text_array
from local.seed.timeline import rows_per_slot

ESCALATED_SHARE = 0.12
WILL_RESOLVE_SHARE = 0.79  # the rest stay open for good (waiting on the customer, forgotten, ...)
NEVER_ANSWERED_SHARE = 0.15  # of those that stay open: nobody ever replied
AI_SHARE_OF_UNESCALATED = 0.62  # gives ~55% of resolutions to the AI
# SLA policies cover nearly all conversations that get resolved, but few of those that stay open for good
# (general questions, no-reply threads): ~83% overall, and resolution compliance around 90%, since every
# open conversation past its due time counts as breached.
SLA_SHARE_RESOLVING, SLA_SHARE_LINGERING = 0.99, 0.25
AI_CHANNELS = ("chat", "web", "whatsapp", "sms", "email")
GENERIC_SUBJECTS = ("Need help", "Question about my account", "Something is not working")

_d = Draws("conversation")


def create_stage_sql(spec: TenantSpec) -> str:
    d = directory(spec)
    channels = [(c, w) for c, w in vocab.CHANNELS if c != "voice" or spec.has_voice]
    topic_pick = pick(
        _d.u("topic"),
        [(str(i), t.weight) for i, t in enumerate(vocab.TOPICS, start=1)] + [("NULL", vocab.UNCLASSIFIED_WEIGHT)],
    )
    topic_team = num_array([d.team_index(*t.teams) for t in vocab.TOPICS])
    urgency = num_array([t.urgency for t in vocab.TOPICS], "float8")
    subjects = text_array([s for t in vocab.TOPICS for s in t.subjects])
    billing_topics = num_array([i for i, t in enumerate(vocab.TOPICS, start=1) if t.teams[0] == "Billing"])
    fr_minutes = pick_sla(0)
    res_minutes = pick_sla(1)
    window = "(pg_temp.seed_end() - pg_temp.seed_start())"
    article = "NULL::int"
    if spec.has_knowledge_base:
        article = (
            f"CASE WHEN ai_plan AND topic_i IS NOT NULL AND u_article < 0.75 "
            f"THEN {article_index('topic_i', 'u_article / 0.75', spec)} END"
        )
    return f"""
CREATE TEMP TABLE seed_conv ON COMMIT DROP AS
SELECT n, {event_id("conversation", "created_at", "n")} AS id, created_at, channel, priority, status, subject,
       topic_i, ({text_array([t.name for t in vocab.TOPICS])})[topic_i] AS topic,
       contact_n, {dim_id("contact", "contact_n")} AS contact_id,
       {dim_id_lookup("user", d.agents, "assignee_n")} AS assignee_user_id,
       {dim_id_lookup("team", len(d.team_names), "team_i")} AS team_id,
       {dim_id_lookup("mailbox", len(MAILBOXES), "mailbox_i")} AS email_channel_id,
       article_i, first_response_at, resolved_at, resolved_by, escalated,
       first_response_due_at, resolution_due_at, ai_touched,
       -- Last activity: a reply on open ones, the closing a few days after resolution on closed ones.
       CASE WHEN resolved_at IS NULL
            THEN greatest(created_at, first_response_at)
                 + 0.5 * u_touched * (pg_temp.seed_end() - greatest(created_at, first_response_at))
            WHEN status = 'closed'
            THEN least(pg_temp.seed_end(), resolved_at + (1 + 2 * u_touched) * interval '1 day')
            ELSE resolved_at END AS updated_at
FROM (
    SELECT *,
           CASE WHEN resolved_at IS NOT NULL
                THEN CASE WHEN ai_plan THEN 'ai' ELSE 'human' END END AS resolved_by,
           CASE WHEN resolved_at IS NOT NULL
                THEN CASE WHEN resolved_at < pg_temp.seed_end() - interval '3 days' AND u_status < 0.6
                          THEN 'closed' ELSE 'resolved' END
                WHEN first_response_at IS NOT NULL AND u_status < 0.35 THEN 'pending'
                ELSE 'open' END AS status,
           -- New, unanswered conversations are often still in the team queue, not yet with an agent.
           CASE WHEN team_i IS NOT NULL AND (first_response_at IS NOT NULL OR u_assigned < 0.4)
                THEN width_bucket({TEAM_SPACING} * (team_i - 1) + u_agent,
                                  {num_array(d.assignment_thresholds(), "float8")}) END AS assignee_n,
           CASE WHEN channel <> 'email' THEN NULL
                WHEN topic_i = ANY ({billing_topics}) THEN {BILLING}
                -- The legacy help@ address was retired early in the window.
                WHEN u_mailbox < 0.15 AND created_at < pg_temp.seed_start() + 0.3 * {window} THEN {LEGACY}
                ELSE {SUPPORT} END AS mailbox_i,
           {article} AS article_i
    FROM (
        SELECT *,
               CASE WHEN will_resolve AND created_at + resolve_s * interval '1 second' <= pg_temp.seed_end()
                    THEN created_at + resolve_s * interval '1 second' END AS resolved_at,
               CASE WHEN created_at + first_s * interval '1 second' <= pg_temp.seed_end()
                         AND (will_resolve OR u_unanswered >= {NEVER_ANSWERED_SHARE})
                    THEN created_at + first_s * interval '1 second' END AS first_response_at,
               CASE WHEN has_sla THEN created_at + {fr_minutes} * interval '1 minute' END AS first_response_due_at,
               CASE WHEN has_sla THEN created_at + {res_minutes} * interval '1 minute' END AS resolution_due_at
        FROM (
            SELECT *,
                   -- Never resolved before the first answer.
                   greatest(resolve_raw_s, first_s * 1.05 + 30) AS resolve_s
            FROM (
                SELECT *,
                       -- The AI answers in seconds; people in a fraction of the SLA target, slower at night
                       -- and at weekends. Log-normal spreads give the long tails real queues have.
                       CASE WHEN ai_touched THEN {_d.lognormal("first_ai", 20, 0.7, "n")}
                            ELSE {fr_minutes} * 60 / 3.2 * exp(0.9 * z_first) * CASE WHEN off_hours THEN 1.7 ELSE 1 END
                       END AS first_s,
                       CASE WHEN ai_plan THEN 240 * exp(0.9 * z_resolution)
                            ELSE {res_minutes} * 60 / 5 * exp(z_resolution)
                                 * CASE WHEN escalated THEN 1.8 ELSE 1 END
                       END AS resolve_raw_s
                FROM (
                    SELECT *,
                           {priority_case("u_priority * coalesce((" + urgency + ")[topic_i], 1)")} AS priority,
                           ai_plan OR (u_ai_attempt < 0.35 AND channel IN ({", ".join(lit(c) for c in AI_CHANNELS)}))
                               AS ai_touched,
                           CASE WHEN ai_plan AND u_assigned < 0.75 THEN NULL
                                WHEN escalated AND u_team < 0.7 THEN {d.team_index("Tier 2")}
                                WHEN u_team < 0.78 THEN coalesce(({topic_team})[topic_i], 1)
                                ELSE 1 END AS team_i,
                           coalesce(({subjects})[(topic_i - 1) * 3 + subject_j],
                                    ({text_array(GENERIC_SUBJECTS)})[subject_j]) AS subject
                    FROM (
                        SELECT *,
                               will_resolve AND NOT escalated AND u_ai < {AI_SHARE_OF_UNESCALATED} AS ai_plan
                        FROM (
                            SELECT n, s.slot_start + {_d.u("minute")} * interval '1 hour' AS created_at,
                                   -- Outside the agents' local working hours (seed_slots).
                                   s.off_hours,
                                   {pick_literal(_d.u("channel"), channels)} AS channel,
                                   {topic_pick} AS topic_i,
                                   1 + {_d.int_below("subject", 3)} AS subject_j,
                                   -- Repeat customers: a few contacts write very often.
                                   {_d.skewed_index("contact", spec.contacts, 1.5)} AS contact_n,
                                   {_d.u("escalated")} < {ESCALATED_SHARE} AS escalated,
                                   {_d.u("resolves")} < {WILL_RESOLVE_SHARE} AS will_resolve,
                                   {_d.u("sla")} < CASE WHEN {_d.u("resolves")} < {WILL_RESOLVE_SHARE}
                                       THEN {SLA_SHARE_RESOLVING} ELSE {SLA_SHARE_LINGERING} END AS has_sla,
                                   {_d.u("unanswered")} AS u_unanswered,
                                   {_d.u("priority")} AS u_priority, {_d.u("ai")} AS u_ai,
                                   {_d.u("ai_attempt")} AS u_ai_attempt,
                                   {_d.z("resolution")} AS z_resolution, {_d.z("first_response")} AS z_first,
                                   {_d.u("team")} AS u_team, {_d.u("agent")} AS u_agent,
                                   {_d.u("assigned")} AS u_assigned, {_d.u("mailbox")} AS u_mailbox,
                                   {_d.u("article")} AS u_article, {_d.u("status")} AS u_status,
                                   {_d.u("touched")} AS u_touched
                            FROM {rows_per_slot("conversations", spec.conversations)}
                            OFFSET 0
                        ) draws
                        OFFSET 0
                    ) planned
                    OFFSET 0
                ) described
                OFFSET 0
            ) timed
            OFFSET 0
        ) clamped
        OFFSET 0
    ) happened
    OFFSET 0
) settled
"""


def priority_case(u: str) -> str:
    return pick_literal(u, vocab.PRIORITIES)


def pick_sla(which: int) -> str:
    """SLA target minutes of the row's priority (0: first response, 1: resolution)."""
    whens = " ".join(f"WHEN {lit(p)} THEN {targets[which]}" for p, targets in vocab.SLA_MINUTES.items())
    return f"(CASE priority {whens} END)"


def insert_conversations_sql(spec: TenantSpec) -> str:
    # The AI may only have answered from an article that was already published.
    article = "NULL::uuid"
    if spec.has_knowledge_base:
        ids = dim_id_lookup("article", spec.articles, "article_i")
        article = f"CASE WHEN {published_at_by_article()}[article_i] <= created_at THEN {ids} END"
    return f"""
INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, topic, contact_id, assignee_user_id,
                           team_id, email_channel_id, kb_article_id, created_at, first_response_at, resolved_at,
                           resolved_by, escalated, first_response_due_at, resolution_due_at, updated_at)
SELECT id, pg_temp.seed_tenant(), channel, priority, status, subject, topic, contact_id, assignee_user_id,
       team_id, email_channel_id, {article}, created_at, first_response_at, resolved_at,
       resolved_by, escalated, first_response_due_at, resolution_due_at, updated_at
FROM seed_conv
"""
