"""GET /api/v1/analytics/call-metrics: call KPIs, daily volume, outcome breakdown, peak-hours heatmap.

Calls fall in the range by started_at; days, hours and weekdays are those of started_at in the caller's tz
(PostgreSQL's AT TIME ZONE, so a 23- or 25-hour day around a DST change is one day). The optional outcome
filter applies to every block. Definitions: docs/metrics.md, "Voice call analytics (v1)".
"""

from __future__ import annotations

from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.db import Transaction
from aurion.facts.calls import KPI_SUMS
from aurion.metrics.voice_kpis import voice_kpis_model
from aurion.models.voice import CallKpis, CallMetricsResponse, DailyCallVolume, OutcomeShare, PeakHour
from aurion.params import DateRange
from aurion.rollups.voice import call_cells_sql, split_params
from aurion.rollups.window import hour_split, in_zone
from aurion.voice_params import CallOutcome, LocalDateRange, zone_known_to_database

# One pass over the call facts per (local hour, outcome) of the range (rollup hours plus raw edges, see
# aurion.rollups.voice), rolled up to the KPIs (), and per local day, per outcome, per (weekday, hour).
# `percentage` is each row's share of its own grouping set: for the outcome set, the share of all calls in the
# range. Both wall-clock 02:00 hours of a fall-back night share a cell; they share every bucket.
BREAKDOWN_SQL = """
SELECT GROUPING(day, outcome, day_of_week, hour) AS grouping_id, day, outcome, day_of_week, hour,
       {kpis},
       aurion_pct(sum(calls), sum(sum(calls)) OVER (PARTITION BY GROUPING(day, outcome, day_of_week, hour)))
           AS percentage
FROM (
    SELECT local_hour::date AS day, key AS outcome,
           extract(isodow FROM local_hour)::int AS day_of_week,
           extract(hour FROM local_hour)::int AS hour,
           calls, completed, failed, completed_timed, completed_seconds, fcr, resolved, tickets, escalated
    FROM ({cells}) AS cells
) c
GROUP BY GROUPING SETS ((), (day), (outcome), (day_of_week, hour))
ORDER BY grouping_id, day, sum(calls) DESC, outcome, day_of_week, hour
"""
_SQL = {
    outcome_filter: BREAKDOWN_SQL.format(kpis=KPI_SUMS, cells=call_cells_sql("outcome", outcome_filter=outcome_filter))
    for outcome_filter in (False, True)
}

# GROUPING(day, outcome, day_of_week, hour): a bit per column, set when the column is not grouped.
TOTALS, BY_DAY, BY_OUTCOME, BY_CELL = 0b1111, 0b0111, 0b1011, 0b1100


def _kpis(row: dict[str, Any], dates: LocalDateRange) -> CallKpis:
    return CallKpis(
        **voice_kpis_model(row).model_dump(),
        period_start=dates.start_date.isoformat(),
        period_end=dates.end_date.isoformat(),
    )


def call_breakdown(
    tx: Transaction, tenant_id: str, window: DateRange, tz: str, *, outcome: str | None = None
) -> list[dict[str, Any]]:
    """The rows of BREAKDOWN_SQL over the calls started in [window.start, window.end], days and hours in tz: the
    API's call metrics, and the exports' calls per day and outcomes (pick the rows by grouping_id)."""
    params = {"outcome": outcome} if outcome else {}
    split = in_zone(hour_split(tx, tenant_id, window), tz)
    return tx.all(_SQL[outcome is not None], **split_params(tenant_id, split, tz), **params)


def call_metrics(caller: Caller, dates: LocalDateRange, *, outcome: CallOutcome | None = None) -> CallMetricsResponse:
    with zone_known_to_database(), tenant_scope(caller) as scope:
        rows = call_breakdown(scope.tx, scope.tenant.id, dates.window, dates.tz, outcome=outcome)
    totals = next(row for row in rows if row["grouping_id"] == TOTALS)
    return CallMetricsResponse(
        kpis=_kpis(totals, dates),
        call_volume=[
            DailyCallVolume(
                date=row["day"].isoformat(),
                total_calls=row["total_calls"],
                completed_calls=row["completed_calls"],
                failed_calls=row["failed_calls"],
            )
            for row in rows
            if row["grouping_id"] == BY_DAY
        ],
        outcome_breakdown=[
            OutcomeShare(outcome=row["outcome"], count=row["total_calls"], percentage=float(row["percentage"]))
            for row in rows
            if row["grouping_id"] == BY_OUTCOME
        ],
        peak_hours=[
            PeakHour(hour=row["hour"], day_of_week=row["day_of_week"], call_count=row["total_calls"])
            for row in rows
            if row["grouping_id"] == BY_CELL
        ],
    )
