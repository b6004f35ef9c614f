"""A fixed clock: aurion.clock.now (and through it the export code's clock) frozen at a chosen moment and moved
by hand, never by sleeping, so no test depends on the day it runs.

Only the package's clock is fixed. What the database stamps itself (`updated_at` triggers, column defaults)
keeps the real time; the aggregator's change detection reads that clock on purpose (aurion/rollups/aggregator.py).

CALENDAR_EDGES are the moments the rollup and range tests run at (the `calendar_clock` fixture): each is a day
on which date arithmetic tends to go wrong, at an hour that puts "today" at an edge too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

import aurion.clock

# An ordinary moment for the tests that need a fixed "now" and nothing special about it.
ORDINARY = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)

CALENDAR_EDGES = {
    # Europe springs forward at 01:00 UTC today (Paris's day is 23 hours long), the US did two weeks ago: the
    # last 40 days hold both changes, and today's UTC day has only begun.
    "dst-2027-03-28": datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    # The last half hour of a month and of a year: today is nearly a whole day, still read raw.
    "year-end-2026-12-31": datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    # A quarter of an hour into 29 February: the 30-day default range starts on 30 January.
    "leap-day-2028-02-29": datetime(2028, 2, 29, 0, 15, tzinfo=UTC),
}


@dataclass
class FixedClock:
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> FixedClock:
    """aurion.clock.now returns the clock's moment until the test ends."""
    fixed = FixedClock(moment)
    monkeypatch.setattr(aurion.clock, "now", lambda: fixed.now)
    return fixed
