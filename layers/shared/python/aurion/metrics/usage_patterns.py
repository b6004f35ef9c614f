"""GET /api/v1/analytics/usage-patterns: when calls happen (local hour, weekday, month), LLM usage per provider,
and LLM tokens per call.

Calls fall in the range by started_at (hours, weekdays and months in the caller's tz); LLM requests by
requested_at. avg_tokens_per_call = input + output tokens of the usage rows linked to the calls in the range
(whenever those requests were made) / the calls in the range. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import num, range_params
from aurion.models.voice import HourlyUsage, LlmProviderUsage, MonthlyTrend, UsagePatternsResponse, WeekdayUsage
from aurion.voice_params import LocalDateRange, zone_known_to_database

# One pass over the calls in the range, counted per local hour first (the time-zone arithmetic runs once per
# call), then rolled up to the totals (), each local hour of the day, each ISO weekday, each local month.
# The tokens of the calls' LLM requests are summed once, for the totals row. A request for a call is never made
# before the call started: only requests from the range's start on (less an hour of slack for clocks) are read,
# through llm_usage_tenant_call_requests_idx, instead of every request of the tenant.
CALLS_SQL = """
WITH cells AS (
    SELECT date_trunc('hour', started_at AT TIME ZONE CAST(:tz AS text)) AS local_hour,
           count(*) AS total_calls,
           count(*) FILTER (WHERE status = 'completed') AS completed_calls,
           count(*) FILTER (WHERE status = 'failed') AS failed_calls,
           sum(duration_seconds) FILTER (WHERE status = 'completed') AS completed_seconds,
           count(duration_seconds) FILTER (WHERE status = 'completed') AS timed_completed_calls,
           count(*) FILTER (WHERE first_call_resolution) AS fcr_calls
    FROM calls
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND started_at BETWEEN :start AND :end
    GROUP BY 1
), tokens AS (
    SELECT COALESCE(sum(u.input_tokens::bigint + u.output_tokens), 0) AS total
    FROM calls c JOIN llm_usage u ON u.call_id = c.id
    WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.started_at BETWEEN :start AND :end
      AND u.tenant_id = CAST(:tenant_id AS uuid) AND u.call_id IS NOT NULL
      AND u.requested_at >= CAST(:start AS timestamptz) - interval '1 hour'
)
SELECT GROUPING(hour, day_of_week, month) AS grouping_id, hour, day_of_week, month,
       COALESCE(sum(total_calls), 0)::bigint AS total_calls,
       COALESCE(sum(completed_calls), 0)::bigint AS completed_calls,
       COALESCE(sum(failed_calls), 0)::bigint AS failed_calls,
       aurion_round1(sum(completed_seconds)::double precision / NULLIF(sum(timed_completed_calls), 0))
           AS avg_duration_seconds,
       aurion_pct(sum(fcr_calls), sum(total_calls)) AS first_call_resolution_rate,
       aurion_pct(sum(total_calls), sum(sum(total_calls)) OVER (PARTITION BY GROUPING(hour, day_of_week, month)))
           AS percentage,
       CASE WHEN GROUPING(hour, day_of_week, month) = 7
            THEN aurion_round1((SELECT total FROM tokens)::double precision / NULLIF(sum(total_calls), 0)) END
           AS avg_tokens_per_call
FROM (
    SELECT extract(hour FROM local_hour)::int AS hour,
           extract(isodow FROM local_hour)::int AS day_of_week,
           to_char(local_hour, 'YYYY-MM') AS month,
           total_calls, completed_calls, failed_calls, completed_seconds, timed_completed_calls, fcr_calls
    FROM cells
) c
GROUP BY GROUPING SETS ((), (hour), (day_of_week), (month))
ORDER BY grouping_id DESC, hour, day_of_week, month
"""

LLM_SQL = """
SELECT provider,
       count(*) AS total_requests,
       COALESCE(sum(input_tokens), 0) AS total_input_tokens,
       COALESCE(sum(output_tokens), 0) AS total_output_tokens,
       aurion_round1(avg(latency_ms)) AS avg_latency_ms,
       count(*) FILTER (WHERE is_error) AS error_count
FROM llm_usage
WHERE tenant_id = CAST(:tenant_id AS uuid) AND requested_at BETWEEN :start AND :end
GROUP BY provider
ORDER BY count(*) DESC, provider
"""

# GROUPING(hour, day_of_week, month): a bit per column, set when the column is not grouped.
_BY_HOUR, _BY_WEEKDAY, _BY_MONTH = 0b011, 0b101, 0b110


def usage_patterns(caller: Caller, dates: LocalDateRange) -> UsagePatternsResponse:
    with zone_known_to_database(), tenant_scope(caller) as scope:
        params = range_params(scope.tenant.id, dates.window)
        rows = scope.tx.all(CALLS_SQL, **params, tz=dates.tz)
        providers = scope.tx.all(LLM_SQL, **params)
    totals = rows[0]
    return UsagePatternsResponse(
        hourly_distribution=[
            HourlyUsage(hour=row["hour"], call_count=row["total_calls"], percentage=float(row["percentage"]))
            for row in rows
            if row["grouping_id"] == _BY_HOUR
        ],
        weekly_distribution=[
            WeekdayUsage(
                day_of_week=row["day_of_week"], call_count=row["total_calls"], percentage=float(row["percentage"])
            )
            for row in rows
            if row["grouping_id"] == _BY_WEEKDAY
        ],
        monthly_trends=[
            MonthlyTrend(
                month=row["month"],
                total_calls=row["total_calls"],
                completed_calls=row["completed_calls"],
                failed_calls=row["failed_calls"],
                avg_duration_seconds=num(row["avg_duration_seconds"]),
                first_call_resolution_rate=float(row["first_call_resolution_rate"]),
            )
            for row in rows
            if row["grouping_id"] == _BY_MONTH
        ],
        llm_usage=[
            LlmProviderUsage(
                provider=row["provider"],
                total_requests=row["total_requests"],
                total_input_tokens=row["total_input_tokens"],
                total_output_tokens=row["total_output_tokens"],
                avg_latency_ms=num(row["avg_latency_ms"]),
                error_count=row["error_count"],
            )
            for row in providers
        ],
        avg_tokens_per_call=num(totals["avg_tokens_per_call"]),
    )
