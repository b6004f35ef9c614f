"""Call and LLM-request facts per hour: the one definition of the voice metrics' counts and sums, and the KPIs.

Every call counts once in each dimension: its outcome and its category (null included). A fact row holds
counts and exact integer sums, so summing the rows of any set of hours equals aggregating the calls of those
hours. The same SQL produces the facts of a UTC hour for the rollup tables (aurion.rollups.voice) and of the raw
edges of a range at query time, bucketed by the local hour in the caller's or the export's zone.
"""

from __future__ import annotations

MEASURES = (
    "calls", "completed", "failed", "completed_timed", "completed_seconds", "fcr", "resolved", "tickets",
    "escalated", "timed", "resolution_seconds", "tokens",
)  # fmt: skip
LLM_MEASURES = ("requests", "input_tokens", "output_tokens", "latency_ms", "errors")

TENANT = "CAST(:tenant_id AS uuid)"
UTC_HOUR = "date_trunc('hour', {column}, 'UTC')"
LOCAL_HOUR = "date_trunc('hour', {column} AT TIME ZONE CAST(:tz AS text))"


DIMENSIONS = ("outcome", "category")


def _tokens_join() -> str:
    """Each call's tokens: its requests, probed through llm_usage (tenant_id, call_id) per call.

    A probe per call costs the same whatever the planner believes: joining a pre-aggregated set instead let a
    table without statistics (rows just written) turn into nested loops over both tables, 10 s for a few
    thousand calls.
    """
    return f"""
LEFT JOIN LATERAL (
    SELECT sum(u.input_tokens::bigint + u.output_tokens) AS tokens
    FROM llm_usage AS u
    WHERE u.tenant_id = {TENANT} AND u.call_id = c.id
) AS t ON true"""


def call_facts_sql(where: str, bucket: str, dims: tuple[str, ...] = DIMENSIONS, *, tokens: bool = True) -> str:
    """Facts grouped by (bucket, dim, key) of the tenant's calls matching `where`, one grouping set per dim (a
    call counts once in each). Without `tokens` that measure is 0: the routes that do not show it skip the
    requests."""
    dim = "CASE " + " ".join(f"WHEN GROUPING({d}) = 0 THEN '{d}'" for d in dims) + " END"
    key = "CASE " + " ".join(f"WHEN GROUPING({d}) = 0 THEN {d}" for d in dims) + " END"
    sets = ", ".join(f"(bucket, {d})" for d in dims)
    return f"""
SELECT bucket, {dim} AS dim, {key} AS key,
       count(*) AS calls,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(duration_seconds) FILTER (WHERE status = 'completed') AS completed_timed,
       coalesce(sum(duration_seconds) FILTER (WHERE status = 'completed'), 0) AS completed_seconds,
       count(*) FILTER (WHERE first_call_resolution) AS fcr,
       count(*) FILTER (WHERE outcome = 'resolved' OR first_call_resolution) AS resolved,
       count(*) FILTER (WHERE outcome = 'ticket_created') AS tickets,
       count(*) FILTER (WHERE outcome = 'escalated') AS escalated,
       count(resolution_seconds) AS timed,
       coalesce(sum(resolution_seconds), 0) AS resolution_seconds,
       coalesce(sum(tokens), 0) AS tokens
FROM (
    SELECT {bucket.format(column="c.started_at")} AS bucket, c.outcome, c.category, c.status, c.duration_seconds,
           c.first_call_resolution, c.resolution_seconds, {"t.tokens" if tokens else "0"} AS tokens
    FROM calls AS c{_tokens_join() if tokens else ""}
    WHERE c.tenant_id = {TENANT} AND {where}
) AS c
GROUP BY GROUPING SETS ({sets})
"""


def llm_facts_sql(where: str) -> str:
    """Facts grouped by (UTC hour, provider) of the tenant's LLM requests matching `where`."""
    return f"""
SELECT {UTC_HOUR.format(column="requested_at")} AS bucket, provider,
       count(*) AS requests,
       coalesce(sum(input_tokens), 0) AS input_tokens,
       coalesce(sum(output_tokens), 0) AS output_tokens,
       coalesce(sum(latency_ms), 0) AS latency_ms,
       count(*) FILTER (WHERE is_error) AS errors
FROM llm_usage
WHERE tenant_id = {TENANT} AND {where}
GROUP BY 1, 2
"""


# The call KPIs over summed call facts (docs/metrics.md, "Voice"): the API's and the exports'. The average
# divides the exact sums as numeric, which is what avg() of integers does; sums of nothing are null, hence the
# COALESCEs.
KPI_SUMS = """
       COALESCE(sum(calls), 0)::bigint AS total_calls,
       COALESCE(sum(completed), 0)::bigint AS completed_calls,
       COALESCE(sum(failed), 0)::bigint AS failed_calls,
       aurion_round1(sum(completed_seconds)::numeric / NULLIF(sum(completed_timed), 0)) AS avg_duration_seconds,
       aurion_pct(sum(fcr), sum(calls)) AS first_call_resolution_rate,
       COALESCE(sum(resolved), 0)::bigint AS resolved_calls,
       COALESCE(sum(tickets), 0)::bigint AS tickets_created,
       COALESCE(sum(escalated), 0)::bigint AS escalation_count"""
