"""Which days of a range the rollups answer: only whole UTC days, only before the watermark; and the range a
request gets without dates, on a fixed clock at each calendar edge (tests/support/clock.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from aurion.params import DateRange, date_range
from aurion.rollups.window import midnight, split_range
from tests.support.clock import CALENDAR_EDGES, freeze


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "rolled_until", "days"),
    [
        # Bare dates: from the first day's midnight to the last day's last microsecond: every day is whole.
        ("2026-03-01 00:00", datetime.combine(date(2026, 3, 7), time.max, tzinfo=UTC), date(2026, 4, 1),
         (date(2026, 3, 1), date(2026, 3, 8))),
        # A start in the middle of a day leaves that day to the raw edge.
        ("2026-03-01 09:30", datetime.combine(date(2026, 3, 7), time.max, tzinfo=UTC), date(2026, 4, 1),
         (date(2026, 3, 2), date(2026, 3, 8))),
        # An end at midnight includes one instant of that day only: the day is not whole.
        ("2026-03-01 00:00", "2026-03-08 00:00", date(2026, 4, 1), (date(2026, 3, 1), date(2026, 3, 8))),
        # Days at or after the watermark are read raw.
        ("2026-03-01 00:00", "2026-03-20 12:00", date(2026, 3, 10), (date(2026, 3, 1), date(2026, 3, 10))),
    ],
)  # fmt: skip
def test_whole_days_before_the_watermark_come_from_the_rollup(start, end, rolled_until, days):
    window = DateRange(utc(start), end if isinstance(end, datetime) else utc(end))
    split = split_range(window, rolled_until)
    assert split.uses_rollups
    assert (split.day_from, split.day_to) == days


@pytest.mark.parametrize(
    ("start", "end", "rolled_until"),
    [
        ("2026-03-01 09:00", "2026-03-01 17:00", date(2026, 4, 1)),  # inside one day
        ("2026-03-01 09:00", "2026-03-02 17:00", date(2026, 4, 1)),  # two partial days, no whole one
        ("2026-03-01 00:00", "2026-03-20 00:00", None),  # never aggregated
        ("2026-03-01 00:00", "2026-03-20 00:00", date(2026, 3, 1)),  # watermark at the start
    ],
)
def test_a_range_without_whole_rolled_up_days_is_read_raw(start, end, rolled_until):
    split = split_range(DateRange(utc(start), utc(end)), rolled_until)
    assert not split.uses_rollups
    params = split.params()
    assert params["closed_from"] == params["closed_to"] == utc(start)


@pytest.mark.parametrize(
    ("edge", "start", "first_rolled_day"),
    [
        # 30 days before 01:30 on 28 March 2027 (February has 28 days): from 26 February 01:30.
        pytest.param("dst-2027-03-28", "2027-02-26 01:30", date(2027, 2, 27), id="dst-2027-03-28"),
        # 30 days before 23:30 on 31 December: from 1 December 23:30, its first whole day the 2nd.
        pytest.param("year-end-2026-12-31", "2026-12-01 23:30", date(2026, 12, 2), id="year-end-2026-12-31"),
        # 30 days before 00:15 on 29 February 2028: from 30 January 00:15.
        pytest.param("leap-day-2028-02-29", "2028-01-30 00:15", date(2028, 1, 31), id="leap-day-2028-02-29"),
    ],
)
def test_without_dates_a_range_is_the_30_days_before_the_clock_and_reads_only_its_partial_days_raw(
    monkeypatch, edge, start, first_rolled_day
):
    # Given the clock at a calendar edge and the rollups built up to today (the aggregator ran since midnight)
    clock = freeze(monkeypatch, CALENDAR_EDGES[edge])

    # When a request gives no dates
    window = date_range(None, None)
    split = split_range(window, clock.today)

    # Then the range ends now and starts 30 days before; its whole days come from the rollups, the partial first
    # day and today from raw rows
    assert (window.start, window.end) == (utc(start), clock.now)
    assert (split.day_from, split.day_to) == (first_rolled_day, clock.today)
    assert (split.params()["closed_from"], split.params()["closed_to"]) == (
        midnight(first_rolled_day),
        midnight(clock.today),
    )
