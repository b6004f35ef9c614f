"""The rollup-backed resolution median keeps the bound docs/metrics.md proves, on adversarial data.

Each case is one UTC day of 2025 holding a handful of resolution times chosen to hurt a histogram estimate:
1-3 values, even counts whose two middle values lie decades apart, ties, values from 0 s to a year, values
on and just below the edges of the 1 % buckets, and ties piled at one edge of a bucket while the median rank
sits at its other end. After one aggregator run every whole day of 2025 is read from the histograms, so the
overview of a day is the estimate; the exact answer is worked out here from the values themselves (the
median of percentile_cont: the middle value, or the mean of the two middle ones), never by the SQL under test.

The bound (docs/metrics.md, "Medians"), with x_lo, x_hi the two middle values (equal for an odd count):
    |estimate - exact| < 1 % of (|x_lo| + |x_hi|) / 2  +  0.01 s        before rounding to 0.1 minute,
and, when the two middle values do not have opposite signs (resolution times are never negative),
    |shown estimate - shown exact| <= 1 % of |shown exact| + 0.1 minute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest

from aurion.rollups import aggregator
from aurion.rollups.conversations import (
    MEDIAN_ABSOLUTE_SECONDS,
    MEDIAN_RELATIVE_ERROR,
    MEDIAN_ROUNDING_MINUTES,
)
from tests.support.api import caller_for, get

OVERVIEW = "/api/v2/analytics/conversations/overview"
FIRST_DAY = date(2025, 1, 1)
MICROSECOND = Decimal("0.000001")
HOUR, DAY = 3600, 86400
# Floating-point slack when comparing the API's floats (the bound itself is exact decimal arithmetic).
SLACK = 1e-9


def edge(bucket: int) -> Decimal:
    """The first microsecond at or above the lower edge of histogram bucket b (1 + s = 1.01^b)."""
    return (Decimal("1.01") ** bucket - 1).quantize(MICROSECOND, rounding=ROUND_CEILING)


def seconds(*values: float | int | str | Decimal) -> list[Decimal]:
    return [Decimal(str(value)) for value in values]


# name -> resolution times in seconds (microsecond precision, as PostgreSQL keeps them)
CASES: dict[str, list[Decimal]] = {
    # one to three values
    "one value, zero seconds": seconds(0),
    "one value, under a bucket (0.004 s)": seconds("0.004"),
    "one value, a minute": seconds(60),
    "one value, a year": seconds(365 * DAY),
    "two values, a minute and two months apart": seconds(60, 60 * DAY),
    "two values, zero and a month": seconds(0, 30 * DAY),
    "two values in one bucket": seconds(edge(700), edge(701) - MICROSECOND),
    "two values in adjacent buckets": seconds(edge(700) - MICROSECOND, edge(700)),
    "three values across seven decades": seconds(1, 1000, 10_000_000),
    "three values, two tied at zero": seconds(0, 0, 7 * DAY),
    # even counts whose middle values are far apart (the reported failure: sparse data, gaps)
    "5 x 10 s and 5 x 11 days": seconds(*[10] * 5, *[11 * DAY] * 5),
    "4 x 1 s and 4 x 3 months": seconds(*[1] * 4, *[90 * DAY] * 4),
    "middle pair a second and a week": seconds(0, "0.5", 1, 7 * DAY, 8 * DAY, 9 * DAY),
    "two values, 48 min apart in distant buckets": seconds(1, 5760),
    # ties
    "eight ties": seconds(*[600] * 8),
    "seven ties and one a second later": seconds(*[600] * 7, 601),
    "ties on both sides of a gap": seconds(*[120] * 3, *[86_400] * 3),
    # one value per decade, seconds to months, even and odd
    "decades 1 s .. 10^7 s (8 values)": seconds(*(10**k for k in range(8))),
    "decades 1 s .. 10^8 s (9 values)": seconds(*(10**k for k in range(9))),
    "hours and months interleaved": seconds(HOUR, 30 * DAY, 2 * HOUR, 60 * DAY, 3 * HOUR, 90 * DAY),
    # bucket edges: on an edge, a microsecond below it, both middle values on edges
    "on a bucket edge (odd)": seconds(edge(900), edge(901), edge(902)),
    "a microsecond below edges (odd)": seconds(edge(900) - MICROSECOND, edge(901) - MICROSECOND, edge(950)),
    "middle pair on two edges (even)": seconds(edge(800), edge(850), edge(900), edge(1000)),
    # ties piled on a bucket's lower edge with the median rank at the bucket's top: the estimate is pushed to
    # the upper edge (~1 % high); mirrored: ties just below an upper edge, the median rank at the bottom
    "99 ties on a lower edge, rank at the top": seconds(*[edge(1050)] * 99, *[edge(1400)] * 98),
    "99 ties under an upper edge, rank at the bottom": seconds(*[edge(700)] * 98, *[edge(1051) - MICROSECOND] * 99),
    "even: ties on a lower edge, rank at the top": seconds(*[edge(1050)] * 50, *[edge(1400)] * 50),
    # the sub-bucket edge: everything under 0.01 s shares bucket 0
    "zeros and sub-bucket values": seconds(0, "0.001", "0.009", "0.009999"),
    "zero and one hour": seconds(0, HOUR),
}


def random_cases(count: int) -> dict[str, list[Decimal]]:
    """Sparse random cases: 1-6 values, log-uniform from 0.01 s to a year, a few exact zeros and ties."""
    rng = random.Random(20250101)
    cases = {}
    for index in range(count):
        values: list[Decimal] = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.1:
                values.append(Decimal(0))
            else:
                value = Decimal(str(10 ** rng.uniform(-2, 7.5))).quantize(MICROSECOND)
                values.extend([value] * (2 if rng.random() < 0.15 else 1))
        cases[f"random {index}"] = values
    return cases


ALL_CASES = CASES | random_cases(60)


@dataclass(frozen=True)
class Exact:
    shown: float  # minutes, rounded half away from zero to 0.1
    bound_minutes: float  # the unrounded estimate is strictly closer than this to the unrounded median


def exact_median(values: list[Decimal]) -> Exact:
    ordered = sorted(values)
    lo, hi = ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]
    median = (lo + hi) / 2
    shown = (median / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    bound = (Decimal(str(MEDIAN_RELATIVE_ERROR)) * (abs(lo) + abs(hi)) / 2 + Decimal(str(MEDIAN_ABSOLUTE_SECONDS))) / 60
    return Exact(shown=float(shown), bound_minutes=float(bound))


def build_cases(build, cases: dict[str, list[Decimal]]) -> tuple[object, dict[str, date]]:
    """One tenant, one UTC day per case; conversations opened a minute apart from 00:00 of their day."""
    tenant = build.tenant()
    days = {}
    for index, (name, values) in enumerate(cases.items()):
        day = FIRST_DAY + timedelta(days=index)
        days[name] = day
        for position, value in enumerate(values):
            created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=position)
            resolved = created + timedelta(microseconds=int(value / MICROSECOND))
            build.conversation(tenant, created, resolved_at=resolved, resolved_by="human")
    return tenant, days


def median_of_day(app, caller, day: date) -> float | None:
    response = get(app, f"{OVERVIEW}?date_from={day}&date_to={day}", caller)
    assert response.status == 200, response.body
    return response.body["resolution_minutes_median"]


@pytest.fixture
def rolled_up_cases(functions, build, aggregator_db):
    tenant, days = build_cases(build, ALL_CASES)
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    raw = {name: median_of_day(app, caller, day) for name, day in days.items()}
    result = aggregator.run_tenant(aggregator_db, str(tenant))
    assert not result.skipped
    rolled = {name: median_of_day(app, caller, day) for name, day in days.items()}
    return raw, rolled


def test_the_median_read_raw_is_the_exact_median(rolled_up_cases):
    # Given every adversarial case, read before any aggregator run (no rollup: raw rows, percentile_cont)
    raw, _rolled = rolled_up_cases

    # Then each answer is the exact median, rounded half away from zero to 0.1 minute
    assert raw == {name: exact_median(values).shown for name, values in ALL_CASES.items()}


def test_the_histogram_median_keeps_its_proven_bound_on_adversarial_cases(rolled_up_cases):
    # Given every adversarial case, read after one aggregator run (each whole day from the histograms)
    _raw, rolled = rolled_up_cases

    # Then each estimate keeps the bound: the general form, and the shown-value form for non-negative times
    for name, values in ALL_CASES.items():
        exact, estimate = exact_median(values), rolled[name]
        assert estimate is not None, name
        error = abs(estimate - exact.shown)
        assert error < exact.bound_minutes + MEDIAN_ROUNDING_MINUTES + SLACK, (name, exact, estimate)
        assert error <= MEDIAN_RELATIVE_ERROR * abs(exact.shown) + MEDIAN_ROUNDING_MINUTES + SLACK, (
            name,
            exact,
            estimate,
        )


def test_a_range_mixing_rolled_up_days_and_raw_edges_keeps_the_bound(functions, build, aggregator_db):
    # Given a minute-long and a two-month resolution on whole days, and an hour-long and a month-long one opened
    # on the range's first, partial day (read raw, then merged into the histograms of the whole days)
    tenant = build.tenant()
    for created, duration in [
        (datetime(2025, 6, 2, 12, tzinfo=UTC), timedelta(minutes=1)),
        (datetime(2025, 6, 3, 12, tzinfo=UTC), timedelta(days=60)),
        (datetime(2025, 6, 1, 14, tzinfo=UTC), timedelta(hours=1)),
        (datetime(2025, 6, 1, 18, tzinfo=UTC), timedelta(days=30)),
    ]:
        build.conversation(tenant, created, resolved_at=created + duration, resolved_by="ai")
    aggregator.run_tenant(aggregator_db, str(tenant))

    # When the overview covers 2025-06-01 12:00 .. 2025-06-03 end of day
    url = f"{OVERVIEW}?date_from=2025-06-01T12:00:00Z&date_to=2025-06-03"
    estimate = get(functions("conversation_analytics"), url, caller_for(tenant)).body["resolution_minutes_median"]

    # Then the estimate is within the bound of the exact median, the mean of the hour and the month:
    # (3,600 + 2,592,000) / 2 s = 21,630 minutes
    exact = exact_median(seconds(60, HOUR, 30 * DAY, 60 * DAY))
    assert exact.shown == 21_630.0
    assert abs(estimate - exact.shown) <= MEDIAN_RELATIVE_ERROR * exact.shown + MEDIAN_ROUNDING_MINUTES


def test_resolutions_recorded_before_creation_keep_the_general_bound(functions, build, aggregator_db):
    # Given resolution times that are negative (a clock skew in imported data) next to positive ones
    cases = {
        "a negative and a positive middle value": seconds(-600, 3600),
        "all negative": seconds(-7200, -60, -1),
        "negative, zero, positive": seconds(-30 * DAY, 0, 30 * DAY),
    }
    tenant, days = build_cases(build, cases)
    aggregator.run_tenant(aggregator_db, str(tenant))
    app, caller = functions("conversation_analytics"), caller_for(tenant)

    # Then each estimate keeps the general bound (1 % of the two middle magnitudes, + 0.01 s, + rounding)
    for name, values in cases.items():
        exact, estimate = exact_median(values), median_of_day(app, caller, days[name])
        assert estimate is not None, name
        assert abs(estimate - exact.shown) < exact.bound_minutes + MEDIAN_ROUNDING_MINUTES + SLACK, (name, estimate)
