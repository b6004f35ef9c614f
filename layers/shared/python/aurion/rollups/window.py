"""Which part of a range comes from the rollups and which from raw rows.

A range [start, end] splits into the whole UTC days it contains that the aggregator has already rolled up
(read from the daily tables) and the rest: the partial days at either end and everything since the
watermark (read raw). Both parts go through the same fact definitions and are summed, so counts and sums
are the same as a raw scan of the whole range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from aurion.db import Transaction
from aurion.params import DateRange

_MICROSECOND = timedelta(microseconds=1)

STATE_SQL = "SELECT rolled_until FROM rollup_state WHERE tenant_id = CAST(:tenant_id AS uuid)"


def rolled_until(tx: Transaction, tenant_id: str) -> date | None:
    """The tenant's watermark, read once per request (its blocks split their ranges alike)."""
    return tx.remembered(f"rolled_until:{tenant_id}", lambda: tx.value(STATE_SQL, tenant_id=tenant_id))


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
    return split_range(window, rolled_until(tx, tenant_id))


def raw_edges(column: str) -> str:
    """The rows of the range outside the rollup days (with RangeSplit.params)."""
    return f"(({column} >= :start AND {column} < :closed_from) OR ({column} >= :closed_to AND {column} <= :end))"


# ---- hours: the voice rollups (calls and LLM requests per UTC hour, bucketed in the caller's time zone) ------

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class HourSplit:
    """Rollup hours [closed_from, closed_to) and the raw edges [start, closed_from) and [closed_to, end]."""

    start: datetime
    end: datetime
    closed_from: datetime
    closed_to: datetime

    @property
    def uses_rollups(self) -> bool:
        return self.closed_to > self.closed_from

    def params(self) -> dict[str, Any]:
        # Without rollup hours the first edge is empty and the second is the whole range (see raw_edges).
        closed_from, closed_to = (self.closed_from, self.closed_to) if self.uses_rollups else (self.start, self.start)
        return {"start": self.start, "end": self.end, "closed_from": closed_from, "closed_to": closed_to}


def split_hours(window: DateRange, rolled_until: date | None) -> HourSplit:
    """The whole UTC hours of the range before midnight of rolled_until come from the rollups."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    first_full = start if start == _floor_hour(start) else _floor_hour(start) + _HOUR
    # Hour h is whole inside [start, end] when its last microsecond is: h + 1 h <= end + 1 µs.
    after_last_full = _floor_hour(end + _MICROSECOND)
    hour_to = min(after_last_full, midnight(rolled_until)) if rolled_until is not None else first_full
    return HourSplit(start, end, first_full, max(hour_to, first_full))


@lru_cache(maxsize=256)
def whole_hour_offsets(tz: str, first: datetime, last: datetime) -> bool:
    """Whether every UTC hour in [first, last) lies inside one local hour of tz (its offset is a whole number of
    hours and does not change inside the hour). Offsets change at most a few times a year: look at the UTC day
    boundaries, and hour by hour only inside the days whose offset changes."""
    zone = ZoneInfo(tz)

    def offset(moment: datetime) -> timedelta:
        return moment.astimezone(zone).utcoffset() or timedelta(0)

    def whole(moment: datetime, until: datetime) -> bool:
        at_start = offset(moment)
        return at_start % _HOUR == timedelta(0) and offset(until - _MICROSECOND) == at_start

    day = first
    while day < last:
        day_end = min(midnight(day.date()) + _DAY, last)
        if not whole(day, day_end):
            hour = day
            while hour < day_end:
                if not whole(hour, min(hour + _HOUR, day_end)):
                    return False
                hour += _HOUR
        day = day_end
    return True


def hour_split(tx: Transaction, tenant_id: str, window: DateRange) -> HourSplit:
    return split_hours(window, rolled_until(tx, tenant_id))


def in_zone(split: HourSplit, tz: str) -> HourSplit:
    """The split for queries that bucket by local hour in tz. In a zone whose offset is not a whole number of
    hours somewhere in the rollup hours (Asia/Kolkata, Australia/Adelaide), a UTC hour straddles two local
    hours: the whole range is read raw (exact, slower)."""
    if tz == "UTC" or not split.uses_rollups or whole_hour_offsets(tz, split.closed_from, split.closed_to):
        return split
    return HourSplit(split.start, split.end, split.start, split.start)
