"""Conversation facts per UTC day and dimension: how the rollup is built and how a range is read.

The facts are defined once, in aurion.facts.conversations; this module writes them to conversation_daily for
whole UTC days, and reads a range as rollup days plus raw edges (or an export's local days, all raw).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from aurion import clock
from aurion.db import Transaction
from aurion.facts.conversations import DIMENSIONS, LOCAL_DAY, MEASURES, facts_sql
from aurion.facts.sla_outcomes import NOW
from aurion.params import DateRange
from aurion.rollups.days import DAYS_BETWEEN, moved_days, replace_days
from aurion.rollups.window import RangeSplit, range_split, raw_edges

# ---- the rollup side (aggregator) --------------------------------------------------------------------------

_DAYS = DAYS_BETWEEN.format(column="created_at")
_AS_OF = "CAST(:as_of AS timestamptz)"
_MEASURE_LIST = ", ".join(MEASURES)

REBUILD_SQL = f"""
INSERT INTO conversation_daily (tenant_id, day, dim, key, {_MEASURE_LIST})
SELECT CAST(:tenant_id AS uuid), day, dim, key, {_MEASURE_LIST}
FROM ({facts_sql(_DAYS, _AS_OF)}) AS facts
"""

REBUILD_HISTOGRAM_SQL = f"""
INSERT INTO conversation_resolution_histogram (tenant_id, day, bucket, n)
SELECT CAST(:tenant_id AS uuid), (created_at AT TIME ZONE 'UTC')::date,
       aurion_resolution_bucket(extract(epoch FROM resolved_at - created_at)), count(*)
FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND resolved_at IS NOT NULL AND {_DAYS}
GROUP BY 2, 3
"""


# Days whose facts changed since the last run: conversations written (created late, resolved, reassigned …),
# the old days of conversations deleted or whose created_at moved, and unanswered ones whose due time passed
# (breached without any write).
DIRTY_DAYS_SQL = f"""
SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date AS day FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND updated_at > :changed_since
UNION
SELECT (created_at AT TIME ZONE 'UTC')::date FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND first_response_at IS NULL AND first_response_due_at IS NOT NULL
  AND first_response_due_at > :due_since AND first_response_due_at <= :as_of
UNION
SELECT (created_at AT TIME ZONE 'UTC')::date FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND resolved_at IS NULL AND resolution_due_at IS NOT NULL
  AND resolution_due_at > :due_since AND resolution_due_at <= :as_of
UNION{moved_days("conversations")}
"""

FIRST_DAY_SQL = (
    # min() of the column itself, then its UTC day (the same day: the conversion keeps order): min() of an expression
    # cannot read the (tenant_id, created_at) index, and scanned the whole tenant (0.8 s at 1,000,000).
    "SELECT (min(created_at) AT TIME ZONE 'UTC')::date FROM conversations WHERE tenant_id = CAST(:tenant_id AS uuid)"
)


# The months of the days rewritten, summed again from their daily histograms (migration 0021): a month's row is
# only ever the sum of its days, whichever of them were rebuilt.
_MONTHS = "tenant_id = CAST(:tenant_id AS uuid) AND {column} >= :month_first AND {column} < :month_after"
DELETE_MONTHS_SQL = f"DELETE FROM conversation_resolution_histogram_monthly WHERE {_MONTHS.format(column='month')}"
REBUILD_MONTHS_SQL = f"""
INSERT INTO conversation_resolution_histogram_monthly (tenant_id, month, bucket, n)
SELECT tenant_id, date_trunc('month', day)::date, bucket, sum(n)
FROM conversation_resolution_histogram
WHERE {_MONTHS.format(column="day")}
GROUP BY 1, 2, 3
"""


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def rebuild(tx: Transaction, tenant_id: str, first: date, last: date, as_of: datetime) -> None:
    """Replace the facts and histograms of days first..last (idempotent: delete, then insert from raw rows)."""
    replace_days(
        tx, tenant_id, first, last, ["conversation_daily", "conversation_resolution_histogram"],
        [REBUILD_SQL, REBUILD_HISTOGRAM_SQL], as_of=as_of, dims=list(DIMENSIONS),
    )  # fmt: skip
    months = {"tenant_id": tenant_id, "month_first": month_start(first), "month_after": next_month(last)}
    tx.execute(DELETE_MONTHS_SQL, **months)
    tx.execute(REBUILD_MONTHS_SQL, **months)


# ---- the query side (endpoints) ----------------------------------------------------------------------------

_EDGE_FACTS = facts_sql(raw_edges("created_at"), NOW)
# Counts come back as integers, second sums as exact numerics.
_SUMS = ", ".join(f"sum({m}) AS {m}" if m.endswith("_seconds") else f"sum({m})::bigint AS {m}" for m in MEASURES)

RANGE_FACTS_SQL = f"""
WITH facts AS (
    SELECT day, dim, key, {_MEASURE_LIST}
    FROM conversation_daily
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND dim = ANY (CAST(:dims AS text[]))
      AND day >= :day_from AND day < :day_to
    UNION ALL
    SELECT day, dim, key, {_MEASURE_LIST}
    FROM ({_EDGE_FACTS}) AS edge
), totals AS (
    SELECT dim, key, CASE WHEN dim = ANY (CAST(:daily_dims AS text[])) THEN day END AS day, {_SUMS}
    FROM facts
    GROUP BY 1, 2, 3
)
SELECT totals.*,
       round(fr_seconds / (60 * NULLIF(fr_count, 0)), 1) AS avg_first_response_minutes,
       round(res_seconds / (60 * NULLIF(resolved, 0)), 1) AS avg_resolution_minutes,
       CASE WHEN dim IN ('team', 'team_priority') THEN
           (SELECT name FROM teams WHERE id = CAST(NULLIF(split_part(key, '/', 1), '') AS uuid)) END AS team_name,
       CASE WHEN dim = 'agent' THEN
           (SELECT name FROM users WHERE id = CAST(NULLIF(key, '') AS uuid)) END AS agent_name
FROM totals
"""


# An export's local days: [start, end) read raw, bucketed by local day in :tz (the rollup's days are UTC days).
LOCAL_DAY_FACTS_SQL = f"""
SELECT day, {_MEASURE_LIST}
FROM ({facts_sql("created_at >= :start AND created_at < :end", NOW, LOCAL_DAY)}) AS facts
ORDER BY day
"""


def local_day_facts(tx: Transaction, tenant_id: str, start: datetime, end: datetime, tz: str) -> list[dict[str, Any]]:
    """The "all" facts of each local day in tz with a conversation created in [start, end), in day order."""
    return tx.all(LOCAL_DAY_FACTS_SQL, tenant_id=tenant_id, start=start, end=end, tz=tz, dims=["all"],
                  now=clock.now_of(tx))  # fmt: skip


# What an empty range sums to: counts 0, averages null.
EMPTY_FACTS: dict[str, Any] = {m: 0 for m in MEASURES} | {
    "avg_first_response_minutes": None,
    "avg_resolution_minutes": None,
}


class Facts:
    """Summed facts of one range, by dimension: facts.of("priority") -> {"high": {...}, ...}."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows

    def of(self, dim: str) -> list[dict[str, Any]]:
        return [row for row in self._rows if row["dim"] == dim]

    def total(self) -> dict[str, Any]:
        """The "all" row summed over the range (zeros for an empty range)."""
        rows = self.of("all")
        if not rows:
            return EMPTY_FACTS
        if len(rows) == 1:
            return rows[0]
        raise ValueError("the range was read per day; use daily()")

    def daily(self, dim: str = "all") -> list[dict[str, Any]]:
        return sorted(self.of(dim), key=lambda row: row["day"])


def conversation_facts(
    tx: Transaction,
    tenant_id: str,
    window: DateRange,
    dims: Iterable[str],
    *,
    daily_dims: Iterable[str] = (),
    split: RangeSplit | None = None,
) -> Facts:
    split = split or range_split(tx, tenant_id, window)
    rows = tx.all(
        RANGE_FACTS_SQL,
        tenant_id=tenant_id,
        dims=list(dims),
        daily_dims=list(daily_dims),
        now=clock.now_of(tx),
        **split.params(),
    )
    return Facts(rows)


# Exact median while the range is read raw; from the merged histograms once rollups are involved. Both sides
# bucket the same way. Like percentile_cont, the estimate is the mean of the two middle order statistics (ranks
# floor and ceil of (n - 1) / 2), each interpolated inside its own bucket: each is then off by less than its
# bucket's width, so their mean is too, however far apart the two buckets are.
EXACT_MEDIAN_SQL = """
SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at))
             / 60)::numeric, 1) AS median
FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end AND resolved_at IS NOT NULL
"""

# The histogram median's proven bound (docs/metrics.md, "Medians"): before rounding, the estimate is within
# MEDIAN_RELATIVE_ERROR of the two middle values' mean magnitude plus MEDIAN_ABSOLUTE_SECONDS; the shown values
# add at most MEDIAN_ROUNDING_MINUTES, their 0.1-minute rounding.
MEDIAN_RELATIVE_ERROR = 0.01
MEDIAN_ABSOLUTE_SECONDS = 0.01
MEDIAN_ROUNDING_MINUTES = 0.1

_EDGES = raw_edges("created_at")
# Whole calendar months of the rollup days [month_from, month_to) from the monthly sums, the days around them
# from the daily rows, the raw edges from the conversations.
HISTOGRAM_MEDIAN_SQL = f"""
WITH buckets AS (
    SELECT bucket, sum(n) AS n FROM (
        SELECT bucket, n FROM conversation_resolution_histogram_monthly
        WHERE tenant_id = CAST(:tenant_id AS uuid) AND month >= :month_from AND month < :month_to
        UNION ALL
        -- Two ranges, not one OR: for a tenant the statistics do not know yet, the OR was planned as a filter over
        -- every daily row of the tenant (257,000 for a year of 1,000,000 conversations).
        SELECT bucket, n FROM conversation_resolution_histogram
        WHERE tenant_id = CAST(:tenant_id AS uuid) AND day >= :day_from AND day < :month_from
        UNION ALL
        SELECT bucket, n FROM conversation_resolution_histogram
        WHERE tenant_id = CAST(:tenant_id AS uuid) AND day >= :month_to AND day < :day_to
        UNION ALL
        SELECT aurion_resolution_bucket(extract(epoch FROM resolved_at - created_at)), 1
        FROM conversations
        WHERE tenant_id = CAST(:tenant_id AS uuid) AND resolved_at IS NOT NULL AND {_EDGES}
    ) AS merged
    GROUP BY bucket
), ranked AS (
    SELECT bucket, n, sum(n) OVER (ORDER BY bucket) - n AS before, sum(n) OVER () AS total FROM buckets
), middle AS (
    -- Each middle rank (0-based; the same one twice for an odd count) in its own bucket, placed as if the
    -- bucket's values were spread evenly over it.
    SELECT aurion_bucket_lower(bucket)
           + (aurion_bucket_lower((bucket + 1)::smallint) - aurion_bucket_lower(bucket))
             * (middle_rank - before + 0.5) / n AS seconds
    FROM ranked
    CROSS JOIN LATERAL (VALUES (floor((total - 1) / 2.0)), (ceil((total - 1) / 2.0))) AS ranks (middle_rank)
    WHERE before <= middle_rank AND middle_rank < before + n
)
SELECT round(avg(seconds) / 60, 1) AS median FROM middle
"""


def whole_months(day_from: date, day_to: date) -> tuple[date, date]:
    """[month_from, month_to): the calendar months lying whole inside the days [day_from, day_to); an empty
    interval at day_to when there is none, so the daily rows' two conditions then cover day_from..day_to."""
    month_from = day_from if day_from.day == 1 else next_month(day_from)
    month_to = month_start(day_to)
    return (month_from, month_to) if month_from < month_to else (day_to, day_to)


def resolution_median(tx: Transaction, tenant_id: str, split: RangeSplit) -> float | None:
    month_from, month_to = whole_months(split.day_from, split.day_to)
    params = {"tenant_id": tenant_id, **split.params(), "month_from": month_from, "month_to": month_to}
    value = tx.value(HISTOGRAM_MEDIAN_SQL if split.uses_rollups else EXACT_MEDIAN_SQL, **params)
    return None if value is None else float(value)
