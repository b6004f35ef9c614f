"""GET /api/v1/analytics/resolution-rates: first-call resolution per day, resolution per category, average
resolution time, and the comparison with the previous period of equal length.

Calls fall in the range by started_at, days in the caller's tz. A call is resolved when its outcome is
`resolved` or it was resolved on first contact (as in the unified overview); its resolution time is
resolution_seconds, set only once the caller's issue was resolved. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import num, ratio1
from aurion.models.voice import CategoryResolution, FcrDay, PeriodComparison, VoiceResolutionResponse
from aurion.rollups.voice import call_cells_sql, split_params
from aurion.rollups.window import hour_split, in_zone
from aurion.voice_params import LocalDateRange, zone_known_to_database

# One pass over the call facts per (local hour, category) of the range (rollup hours plus raw edges, see
# aurion.rollups.voice), rolled up to the totals (), each local day, each category (null category included).
# Sums of nothing are null, hence the COALESCEs: an empty range has one totals row of zeros.
RESOLUTION_SQL = f"""
SELECT GROUPING(day, category) AS grouping_id, day, category,
       COALESCE(sum(calls), 0)::bigint AS total_calls,
       COALESCE(sum(fcr), 0)::bigint AS fcr_calls,
       COALESCE(sum(resolved), 0)::bigint AS resolved_calls,
       aurion_pct(sum(fcr), sum(calls)) AS fcr_rate,
       aurion_pct(sum(resolved), sum(calls)) AS resolution_rate,
       aurion_round1(sum(resolution_seconds)::numeric / NULLIF(sum(timed), 0)) AS avg_resolution_time_seconds
FROM (
    SELECT local_hour::date AS day, key AS category, calls, fcr, resolved, resolution_seconds, timed
    FROM ({call_cells_sql("category")}) AS cells
) c
GROUP BY GROUPING SETS ((), (day), (category))
ORDER BY grouping_id DESC, day, sum(calls) DESC, category NULLS LAST
"""

# The previous period's totals, same definitions (no buckets, so no time zone). The average divides the exact
# sums as numeric, which is what avg() of integers does.
TOTALS_SQL = f"""
SELECT COALESCE(sum(calls), 0)::bigint AS total_calls,
       aurion_pct(sum(fcr), sum(calls)) AS fcr_rate,
       aurion_pct(sum(resolved), sum(calls)) AS resolution_rate,
       aurion_round1(sum(resolution_seconds)::numeric / NULLIF(sum(timed), 0)) AS avg_resolution_time_seconds
FROM ({call_cells_sql("outcome")}) AS cells
"""

# GROUPING(day, category): a bit per column, set when the column is not grouped.
_TOTALS, _BY_DAY, _BY_CATEGORY = 0b11, 0b01, 0b10


def _change_pct(current: int, previous: int) -> float:
    """Relative change (%), rounded as every rate (aurion.metrics.common.ratio1); previous > 0."""
    return ratio1(100 * (current - previous), previous)


def _difference(current: Decimal | None, previous: Decimal | None) -> float | None:
    """Difference of two already rounded values: the figures shown add up exactly."""
    if current is None or previous is None:
        return None
    return float(current - previous)


def _comparison(current: dict[str, Any], previous: dict[str, Any], dates: LocalDateRange) -> PeriodComparison | None:
    if previous["total_calls"] == 0:
        return None
    before = dates.previous()
    return PeriodComparison(
        previous_start=before.start_date.isoformat(),
        previous_end=before.end_date.isoformat(),
        current_total_calls=current["total_calls"],
        previous_total_calls=previous["total_calls"],
        total_calls_change_pct=_change_pct(current["total_calls"], previous["total_calls"]),
        current_fcr_rate=float(current["fcr_rate"]),
        previous_fcr_rate=float(previous["fcr_rate"]),
        fcr_rate_change=float(current["fcr_rate"] - previous["fcr_rate"]),
        current_resolution_rate=float(current["resolution_rate"]),
        previous_resolution_rate=float(previous["resolution_rate"]),
        resolution_rate_change=float(current["resolution_rate"] - previous["resolution_rate"]),
        current_avg_resolution_time_seconds=num(current["avg_resolution_time_seconds"]),
        previous_avg_resolution_time_seconds=num(previous["avg_resolution_time_seconds"]),
        avg_resolution_time_change_seconds=_difference(
            current["avg_resolution_time_seconds"], previous["avg_resolution_time_seconds"]
        ),
    )


def voice_resolution_rates(caller: Caller, dates: LocalDateRange) -> VoiceResolutionResponse:
    with zone_known_to_database(), tenant_scope(caller) as scope:
        tenant_id = scope.tenant.id
        split = in_zone(hour_split(scope.tx, tenant_id, dates.window), dates.tz)
        rows = scope.tx.all(RESOLUTION_SQL, **split_params(tenant_id, split, dates.tz))
        before = hour_split(scope.tx, tenant_id, dates.previous().window)
        previous = scope.tx.one(TOTALS_SQL, **split_params(tenant_id, before))
    assert previous is not None
    totals = rows[0]
    return VoiceResolutionResponse(
        fcr_trend=[
            FcrDay(
                date=row["day"].isoformat(),
                total_calls=row["total_calls"],
                fcr_calls=row["fcr_calls"],
                fcr_rate=float(row["fcr_rate"]),
            )
            for row in rows
            if row["grouping_id"] == _BY_DAY
        ],
        resolution_by_category=[
            CategoryResolution(
                category=row["category"],
                total_calls=row["total_calls"],
                resolved_calls=row["resolved_calls"],
                resolution_rate=float(row["resolution_rate"]),
                first_call_resolution_rate=float(row["fcr_rate"]),
                avg_resolution_time_seconds=num(row["avg_resolution_time_seconds"]),
            )
            for row in rows
            if row["grouping_id"] == _BY_CATEGORY
        ],
        avg_resolution_time_seconds=num(totals["avg_resolution_time_seconds"]),
        period_comparison=_comparison(totals, previous, dates),
    )
