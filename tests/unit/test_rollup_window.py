"""Which days of a range the rollups answer: only whole UTC days, only before the watermark."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from aurion.params import DateRange
from aurion.rollups.window import split_range


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
