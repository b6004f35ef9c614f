"""GET /api/v1/analytics/call-metrics: call KPIs, daily volume, outcome breakdown, peak-hours heatmap.

Calls fall in the range by started_at; days, hours and weekdays are those of started_at in the caller's tz
(PostgreSQL's AT TIME ZONE, so a 23- or 25-hour day around a DST change is one day). The optional outcome
filter applies to every block. Definitions: docs/metrics.md, "Voice call analytics (v1)".
"""

from __future__ import annotations

from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import range_params
from aurion.metrics.voice_kpis import call_kpis, voice_kpis_model
from aurion.models.voice import CallKpis, CallMetricsResponse, DailyCallVolume, OutcomeShare, PeakHour
from aurion.voice_params import CallOutcome, LocalDateRange, zone_known_to_database

OUTCOME_FILTER = "AND outcome = :outcome"

# One pass over the calls: counted per local hour (and outcome) first, so the time-zone arithmetic runs once per
# call and the three lists are rolled up from at most a few thousand hour cells: per local day, per outcome, per
# (weekday, hour). `percentage` is each row's share of its own grouping set: for the outcome set, the share of
# all calls in the range. Both wall-clock 02:00 hours of a fall-back night share a cell; they share every bucket.
BREAKDOWN_SQL = """
WITH cells AS (
    SELECT date_trunc('hour', started_at AT TIME ZONE CAST(:tz AS text)) AS local_hour, outcome,
           count(*) AS total_calls,
           count(*) FILTER (WHERE status = 'completed') AS completed_calls,
           count(*) FILTER (WHERE status = 'failed') AS failed_calls
    FROM calls
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND started_at BETWEEN :start AND :end {filters}
    GROUP BY 1, 2
)
SELECT GROUPING(day, outcome, day_of_week, hour) AS grouping_id, day, outcome, day_of_week, hour,
       sum(total_calls)::bigint AS total_calls,
       sum(completed_calls)::bigint AS completed_calls,
       sum(failed_calls)::bigint AS failed_calls,
       aurion_pct(sum(total_calls), sum(sum(total_calls)) OVER (PARTITION BY GROUPING(day, outcome, day_of_week, hour)))
           AS percentage
FROM (
    SELECT local_hour::date AS day, outcome,
           extract(isodow FROM local_hour)::int AS day_of_week,
           extract(hour FROM local_hour)::int AS hour,
           total_calls, completed_calls, failed_calls
    FROM cells
) c
GROUP BY GROUPING SETS ((day), (outcome), (day_of_week, hour))
ORDER BY grouping_id, day, sum(total_calls) DESC, outcome, day_of_week, hour
"""

# GROUPING(day, outcome, day_of_week, hour): a bit per column, set when the column is not grouped.
_BY_DAY, _BY_OUTCOME, _BY_CELL = 0b0111, 0b1011, 0b1100


def _kpis(row: dict[str, Any], dates: LocalDateRange) -> CallKpis:
    return CallKpis(
        **voice_kpis_model(row).model_dump(),
        period_start=dates.start_date.isoformat(),
        period_end=dates.end_date.isoformat(),
    )


def call_metrics(caller: Caller, dates: LocalDateRange, *, outcome: CallOutcome | None = None) -> CallMetricsResponse:
    window = dates.window
    filters, params = (OUTCOME_FILTER, {"outcome": outcome}) if outcome else ("", {})
    with zone_known_to_database(), tenant_scope(caller) as scope:
        kpis = call_kpis(scope.tx, scope.tenant.id, window.start, window.end, filters, **params)
        rows = scope.tx.all(
            BREAKDOWN_SQL.format(filters=filters), **range_params(scope.tenant.id, window), tz=dates.tz, **params
        )
    return CallMetricsResponse(
        kpis=_kpis(kpis, dates),
        call_volume=[
            DailyCallVolume(
                date=row["day"].isoformat(),
                total_calls=row["total_calls"],
                completed_calls=row["completed_calls"],
                failed_calls=row["failed_calls"],
            )
            for row in rows
            if row["grouping_id"] == _BY_DAY
        ],
        outcome_breakdown=[
            OutcomeShare(outcome=row["outcome"], count=row["total_calls"], percentage=float(row["percentage"]))
            for row in rows
            if row["grouping_id"] == _BY_OUTCOME
        ],
        peak_hours=[
            PeakHour(hour=row["hour"], day_of_week=row["day_of_week"], call_count=row["total_calls"])
            for row in rows
            if row["grouping_id"] == _BY_CELL
        ],
    )
