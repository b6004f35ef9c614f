"""GET /api/v1/analytics/resolution-rates: first-call resolution per day, resolution per category, average
resolution time, and the comparison with the previous period of equal length.

Calls fall in the range by started_at, days in the caller's tz. A call is resolved when its outcome is
`resolved` or it was resolved on first contact (as in the unified overview); its resolution time is
resolution_seconds, set only once the caller's issue was resolved. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import num, range_params
from aurion.models.voice import CategoryResolution, FcrDay, PeriodComparison, VoiceResolutionResponse
from aurion.voice_params import LocalDateRange, zone_known_to_database

# One pass over the range: counted per (local day, category) first, so the time-zone arithmetic runs once per
# call, then rolled up to the totals (), each day, each category (null category included). Sums of nothing
# are null, hence the COALESCEs: an empty range has one totals row of zeros.
RESOLUTION_SQL = """
WITH cells AS (
    SELECT (started_at AT TIME ZONE CAST(:tz AS text))::date AS day, category,
           count(*) AS total_calls,
           count(*) FILTER (WHERE first_call_resolution) AS fcr_calls,
           count(*) FILTER (WHERE outcome = 'resolved' OR first_call_resolution) AS resolved_calls,
           sum(resolution_seconds) AS resolution_seconds,
           count(resolution_seconds) AS timed_calls
    FROM calls
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND started_at BETWEEN :start AND :end
    GROUP BY 1, 2
)
SELECT GROUPING(day, category) AS grouping_id, day, category,
       COALESCE(sum(total_calls), 0)::bigint AS total_calls,
       COALESCE(sum(fcr_calls), 0)::bigint AS fcr_calls,
       COALESCE(sum(resolved_calls), 0)::bigint AS resolved_calls,
       aurion_pct(sum(fcr_calls), sum(total_calls)) AS fcr_rate,
       aurion_pct(sum(resolved_calls), sum(total_calls)) AS resolution_rate,
       aurion_round1(sum(resolution_seconds)::double precision / NULLIF(sum(timed_calls), 0))
           AS avg_resolution_time_seconds
FROM cells
GROUP BY GROUPING SETS ((), (day), (category))
ORDER BY grouping_id DESC, day, sum(total_calls) DESC, category NULLS LAST
"""

# The previous period's totals, same definitions (no buckets, so no time zone).
TOTALS_SQL = """
SELECT count(*) AS total_calls,
       aurion_pct(count(*) FILTER (WHERE first_call_resolution), count(*)) AS fcr_rate,
       aurion_pct(count(*) FILTER (WHERE outcome = 'resolved' OR first_call_resolution), count(*)) AS resolution_rate,
       aurion_round1(avg(resolution_seconds)) AS avg_resolution_time_seconds
FROM calls
WHERE tenant_id = CAST(:tenant_id AS uuid) AND started_at BETWEEN :start AND :end
"""

# GROUPING(day, category): a bit per column, set when the column is not grouped.
_TOTALS, _BY_DAY, _BY_CATEGORY = 0b11, 0b01, 0b10
_TENTH = Decimal("0.1")


def _change_pct(current: int, previous: int) -> float:
    """Relative change (%), 1 decimal, half away from zero like PostgreSQL's round(); previous > 0."""
    return float((Decimal(100) * (current - previous) / previous).quantize(_TENTH, rounding=ROUND_HALF_UP))


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
        rows = scope.tx.all(RESOLUTION_SQL, **range_params(scope.tenant.id, dates.window), tz=dates.tz)
        previous = scope.tx.one(TOTALS_SQL, **range_params(scope.tenant.id, dates.previous().window))
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
