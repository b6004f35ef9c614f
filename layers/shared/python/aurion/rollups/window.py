"""Which part of a range comes from the rollups and which from raw rows.

A range [start, end] splits into the whole UTC days it contains that the aggregator has already rolled up
(read from the daily tables) and the rest: the partial days at either end and everything since the
watermark (read raw). Both parts go through the same fact definitions and are summed, so counts and sums
are the same as a raw scan of the whole range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aurion.db import Transaction
from aurion.params import DateRange

_MICROSECOND = timedelta(microseconds=1)

STATE_SQL = "SELECT rolled_until FROM rollup_state WHERE tenant_id = CAST(:tenant_id AS uuid)"


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class RangeSplit:
    """Rollup days [day_from, day_to) and the raw edges [start, closed_from) and [closed_to, end]."""

    start: datetime
    end: datetime
    day_from: date
    day_to: date

    @property
    def uses_rollups(self) -> bool:
        return self.day_to > self.day_from

    def params(self) -> dict[str, Any]:
        closed_from, closed_to = (
            (midnight(self.day_from), midnight(self.day_to))
            if self.uses_rollups
            else (
                self.start,
                self.start,
            )
        )
        return {
            "start": self.start,
            "end": self.end,
            "day_from": self.day_from,
            "day_to": self.day_to,
            "closed_from": closed_from,
            "closed_to": closed_to,
        }


def split_range(window: DateRange, rolled_until: date | None) -> RangeSplit:
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    first_full = start.date() if start == midnight(start.date()) else start.date() + timedelta(days=1)
    # Day d is whole inside [start, end] when its last microsecond is: d + 1 <= end + 1 µs.
    after_last_full = (end + _MICROSECOND).date()
    day_to = min(after_last_full, rolled_until) if rolled_until is not None else first_full
    if day_to <= first_full:
        return RangeSplit(start, end, first_full, first_full)
    return RangeSplit(start, end, first_full, day_to)


def range_split(tx: Transaction, tenant_id: str, window: DateRange) -> RangeSplit:
    return split_range(window, tx.value(STATE_SQL, tenant_id=tenant_id))


def raw_edges(column: str) -> str:
    """The rows of the range outside the rollup days (with RangeSplit.params)."""
    return f"(({column} >= :start AND {column} < :closed_from) OR ({column} >= :closed_to AND {column} <= :end))"
