"""GET /api/v1/analytics/usage-patterns: when calls happen (local hour, weekday, month), LLM usage per provider,
and LLM tokens per call.

Calls fall in the range by started_at (hours, weekdays and months in the caller's tz); LLM requests by
requested_at. avg_tokens_per_call = input + output tokens of the usage rows linked to the calls in the range
(whenever those requests were made) / the calls in the range. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import num
from aurion.models.voice import HourlyUsage, LlmProviderUsage, MonthlyTrend, UsagePatternsResponse, WeekdayUsage
from aurion.rollups.voice import call_cells_sql, llm_cells_sql, split_params
from aurion.rollups.window import hour_split, in_zone
from aurion.voice_params import LocalDateRange, zone_known_to_database

# One pass over the call facts per local hour of the range (rollup hours plus raw edges, see
# aurion.rollups.voice), rolled up to the totals (), each local hour of the day, each ISO weekday, each local
# month.
CALLS_SQL = f"""
SELECT GROUPING(hour, day_of_week, month) AS grouping_id, hour, day_of_week, month,
       COALESCE(sum(calls), 0)::bigint AS total_calls,
       COALESCE(sum(completed), 0)::bigint AS completed_calls,
       COALESCE(sum(failed), 0)::bigint AS failed_calls,
       aurion_round1(sum(completed_seconds)::numeric / NULLIF(sum(completed_timed), 0)) AS avg_duration_seconds,
       aurion_pct(sum(fcr), sum(calls)) AS first_call_resolution_rate,
       aurion_pct(sum(calls), sum(sum(calls)) OVER (PARTITION BY GROUPING(hour, day_of_week, month)))
           AS percentage
FROM (
    SELECT extract(hour FROM local_hour)::int AS hour,
           extract(isodow FROM local_hour)::int AS day_of_week,
           to_char(local_hour, 'YYYY-MM') AS month,
           calls, completed, failed, completed_seconds, completed_timed, fcr
    FROM ({call_cells_sql("outcome")}) AS cells
) c
GROUP BY GROUPING SETS ((), (hour), (day_of_week), (month))
ORDER BY grouping_id DESC, hour, day_of_week, month
"""

# The tokens of the calls' LLM requests (whenever made) over the calls: a total, no local buckets, so any time
# zone's range reads the rollups (the raw edges probe the requests of their few calls).
TOKENS_SQL = f"""
SELECT aurion_round1(sum(tokens)::numeric / NULLIF(sum(calls), 0)) AS avg_tokens_per_call
FROM ({call_cells_sql("outcome", tokens=True)}) AS cells
"""

# Requests by requested_at, per provider: no local buckets, so any time zone's range reads the rollups. The
# average latency divides the exact sums as numeric, which is what avg() of integers does.
LLM_SQL = f"""
SELECT provider,
       sum(requests)::bigint AS total_requests,
       sum(input_tokens)::bigint AS total_input_tokens,
       sum(output_tokens)::bigint AS total_output_tokens,
       aurion_round1(sum(latency_ms)::numeric / sum(requests)) AS avg_latency_ms,
       sum(errors)::bigint AS error_count
FROM ({llm_cells_sql()}) AS cells
GROUP BY provider
ORDER BY sum(requests) DESC, provider
"""

# GROUPING(hour, day_of_week, month): a bit per column, set when the column is not grouped.
_BY_HOUR, _BY_WEEKDAY, _BY_MONTH = 0b011, 0b101, 0b110


def usage_patterns(caller: Caller, dates: LocalDateRange) -> UsagePatternsResponse:
    with zone_known_to_database(), tenant_scope(caller) as scope:
        split = hour_split(scope.tx, scope.tenant.id, dates.window)
        rows = scope.tx.all(CALLS_SQL, **split_params(scope.tenant.id, in_zone(split, dates.tz), dates.tz))
        tokens = scope.tx.value(TOKENS_SQL, **split_params(scope.tenant.id, split))
        providers = scope.tx.all(LLM_SQL, **split_params(scope.tenant.id, split))
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
        avg_tokens_per_call=num(tokens),
    )
