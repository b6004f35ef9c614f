"""Conversation facts per day and dimension: the one definition of the conversation metrics' counts and sums.

Every conversation counts once in each dimension: "all", its channel, priority, team, team and priority,
assignee, topic and UTC hour of creation. A fact row holds counts and exact sums (seconds as numeric), so
summing fact rows of any set of days equals aggregating the conversations of those days. The same SQL produces
the facts of a UTC day for the rollup table (aurion.rollups.conversations), of the raw edges of a range at query
time, and of an export's local days.
"""

from __future__ import annotations

from aurion.facts.sla_outcomes import NOW, first_response_met, resolution_met

# The day a conversation counts in: its UTC day (the rollup table, the API's ranges), or its local day in :tz.
UTC_DAY = "(created_at AT TIME ZONE 'UTC')::date"
LOCAL_DAY = "(created_at AT TIME ZONE CAST(:tz AS text))::date"

DIMENSIONS = ("all", "channel", "priority", "team", "team_priority", "agent", "topic", "hour")

MEASURES = (
    "conversations", "resolved", "ai_resolved", "human_resolved", "escalated", "fr_count", "fr_seconds",
    "res_seconds", "fr_tracked", "fr_met", "fr_breached", "res_tracked", "res_met", "res_breached",
)  # fmt: skip


def facts_sql(where: str, clock: str = NOW, bucket: str = UTC_DAY) -> str:
    """Facts grouped by (day, dim, key) of the tenant's conversations matching `where`; `day` is `bucket` of
    created_at (UTC_DAY for the rollup table, LOCAL_DAY for an export's days) and `clock` the SQL of the moment
    "past due" is judged at (aurion.facts.sla_outcomes)."""
    return f"""
SELECT c.day, d.dim, d.key,
       count(*) AS conversations,
       count(c.res_s) AS resolved,
       count(*) FILTER (WHERE c.resolved_by = 'ai') AS ai_resolved,
       count(*) FILTER (WHERE c.resolved_by = 'human') AS human_resolved,
       count(*) FILTER (WHERE c.escalated) AS escalated,
       count(c.fr_s) AS fr_count,
       coalesce(sum(c.fr_s), 0) AS fr_seconds,
       coalesce(sum(c.res_s), 0) AS res_seconds,
       count(*) FILTER (WHERE c.fr_target) AS fr_tracked,
       count(*) FILTER (WHERE c.fr_met) AS fr_met,
       count(*) FILTER (WHERE NOT c.fr_met) AS fr_breached,
       count(*) FILTER (WHERE c.res_target) AS res_tracked,
       count(*) FILTER (WHERE c.res_met) AS res_met,
       count(*) FILTER (WHERE NOT c.res_met) AS res_breached
FROM (
    SELECT {bucket} AS day, channel, priority,
           coalesce(team_id::text, '') AS team, coalesce(assignee_user_id::text, '') AS agent,
           coalesce(topic, '') AS topic, date_part('hour', created_at AT TIME ZONE 'UTC')::int::text AS hour,
           resolved_by, escalated,
           extract(epoch FROM first_response_at - created_at) AS fr_s,
           extract(epoch FROM resolved_at - created_at) AS res_s,
           first_response_due_at IS NOT NULL AS fr_target, resolution_due_at IS NOT NULL AS res_target,
           {first_response_met(clock)} AS fr_met,
           {resolution_met(clock)} AS res_met
    FROM conversations
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND {where}
) AS c
CROSS JOIN LATERAL (VALUES ('all', ''), ('channel', c.channel), ('priority', c.priority), ('team', c.team),
                           ('team_priority', c.team || '/' || c.priority), ('agent', c.agent),
                           ('topic', c.topic), ('hour', c.hour)) AS d (dim, key)
WHERE d.dim = ANY (CAST(:dims AS text[]))
GROUP BY c.day, d.dim, d.key
"""
