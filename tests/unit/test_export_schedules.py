"""When a schedule runs and which period each run exports (pure date arithmetic, time zones and DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from aurion.exports.schedules import Cadence


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def daily(at: str = "06:00", tz: str = "UTC") -> Cadence:
    return Cadence("daily", None, None, time.fromisoformat(at), tz)


def weekly(weekday: int, at: str = "06:00", tz: str = "UTC") -> Cadence:
    return Cadence("weekly", weekday, None, time.fromisoformat(at), tz)


def monthly(day: int, at: str = "06:00", tz: str = "UTC") -> Cadence:
    return Cadence("monthly", None, day, time.fromisoformat(at), tz)


@pytest.mark.parametrize(
    ("cadence", "after", "expected"),
    [
        # 06:00 in Paris is 05:00 UTC in winter
        (daily(tz="Europe/Paris"), "2026-03-09 04:00", "2026-03-09 05:00"),
        (daily(tz="Europe/Paris"), "2026-03-09 05:00", "2026-03-10 05:00"),  # strictly after
        (daily(tz="Europe/Paris"), "2026-03-09 05:30", "2026-03-10 05:00"),
        # Monday = 0; 2026-03-11 is a Wednesday
        (weekly(0, tz="Europe/Paris"), "2026-03-11 12:00", "2026-03-16 05:00"),
        (weekly(2), "2026-03-11 05:59", "2026-03-11 06:00"),
        (monthly(1), "2026-03-15 00:00", "2026-04-01 06:00"),
        (monthly(28), "2026-02-28 06:00", "2026-03-28 06:00"),
        # Auckland is UTC+13 in March: its 06:00 on the 10th is 17:00 UTC on the 9th
        (daily(tz="Pacific/Auckland"), "2026-03-09 12:00", "2026-03-09 17:00"),
    ],
)
def test_the_next_run_is_the_first_occurrence_strictly_after(cadence, after, expected):
    assert cadence.next_run_after(utc(after)) == utc(expected)


def test_a_local_time_that_does_not_exist_runs_an_hour_later_on_that_day():
    # Paris skips 02:00-03:00 on 2026-03-29: 02:30 runs at 03:30 CEST (01:30 UTC); the next day at 02:30 CEST
    cadence = daily("02:30", "Europe/Paris")
    first = cadence.next_run_after(utc("2026-03-28 12:00"))
    assert first == utc("2026-03-29 01:30")
    assert cadence.next_run_after(first) == utc("2026-03-30 00:30")
    assert cadence.period_for(first) == (date(2026, 3, 28), date(2026, 3, 28))


def test_a_repeated_local_time_runs_once_at_its_first_occurrence():
    # Paris repeats 02:00-03:00 on 2026-10-25: 02:30 runs once, at 02:30 CEST (00:30 UTC)
    cadence = daily("02:30", "Europe/Paris")
    first = cadence.next_run_after(utc("2026-10-24 12:00"))
    assert first == utc("2026-10-25 00:30")
    assert cadence.next_run_after(first) == utc("2026-10-26 01:30")


@pytest.mark.parametrize(
    ("cadence", "run_at", "period"),
    [
        (daily(), "2026-03-09 06:00", ("2026-03-08", "2026-03-08")),
        # Monday 2026-03-09: the previous Monday .. Sunday
        (weekly(0), "2026-03-09 06:00", ("2026-03-02", "2026-03-08")),
        # The 1st: the previous calendar month, February of a non-leap year
        (monthly(1), "2026-03-01 06:00", ("2026-02-01", "2026-02-28")),
        (monthly(15), "2026-03-15 06:00", ("2026-02-15", "2026-03-14")),
        (monthly(1), "2026-01-01 06:00", ("2025-12-01", "2025-12-31")),
        # The period is in the schedule's own zone: 23:30 UTC on the 9th is the 10th in Auckland
        (daily("12:30", "Pacific/Auckland"), "2026-03-09 23:30", ("2026-03-09", "2026-03-09")),
    ],
)
def test_a_run_exports_the_period_that_just_ended_in_its_time_zone(cadence, run_at, period):
    first, last = cadence.period_for(utc(run_at))
    assert (first.isoformat(), last.isoformat()) == period
