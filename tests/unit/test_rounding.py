"""One rounding rule for every rate and average: one decimal, half away from zero, on the exact value."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from aurion.metrics.common import pct, ratio1, round1


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (9, 16, 56.3),  # 56.25: Python's round() gave 56.2 (halves to even)
        (13, 16, 81.3),  # 81.25
        (57, 80, 71.3),  # 71.25
        (1, 16, 6.3),  # 6.25
        (3, 16, 18.8),  # 18.75
        (1, 8, 12.5),  # exact, nothing to round
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 2000, 0.1),  # 0.05
        (1, 2001, 0.0),  # 0.04997...
        (0, 7, 0.0),
        (7, 7, 100.0),
        (5, 0, 0.0),  # a zero denominator gives 0.0
    ],
)
def test_percentages_round_half_away_from_zero_on_exact_ties(part, whole, expected):
    assert pct(part, whole) == expected


def test_negative_ratios_round_half_away_from_zero_too():
    # A relative change of -9/16 is -56.25 %: away from zero is -56.3 (not -56.2)
    assert ratio1(-900, 16) == -56.3
    assert ratio1(900, -16) == -56.3
    assert ratio1(-1, 20) == -0.1  # -0.05
    assert ratio1(-1, 21) == 0.0  # -0.0476…, and never "-0.0"
    assert str(ratio1(-1, 21)) == "0.0"


def test_every_percentage_of_small_counts_is_the_decimal_value_rounded_half_up():
    # The whole table of small counts against decimal arithmetic (a different computation of the same rule)
    for whole in range(1, 161):
        for part in range(whole + 1):
            exact = Decimal(100 * part) / Decimal(whole)
            assert pct(part, whole) == float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)), (part, whole)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("16.25"), 16.3),
        (Decimal("-16.25"), -16.3),
        (Decimal("0.05"), 0.1),
        (Decimal("2.449999"), 2.4),
        (0.15, 0.2),  # the float 0.15 is 0.1499999…; its decimal form (repr) is 0.15
        (2.675, 2.7),
        (0.1 + 0.2, 0.3),
        (12, 12.0),
    ],
)
def test_a_single_value_rounds_half_away_from_zero_by_its_decimal_form(value, expected):
    assert round1(value) == expected


def test_a_ratio_of_a_zero_denominator_is_refused():
    with pytest.raises(ZeroDivisionError):
        ratio1(1, 0)
