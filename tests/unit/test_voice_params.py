"""v1 query parameters: local calendar days in an IANA zone, the range they cover in UTC, phone search terms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aurion.errors import InvalidInput
from aurion.voice_params import LocalDateRange, local_date_range, phone_digits, search_query, time_zone

MICROSECOND = timedelta(microseconds=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "tz", "first_instant", "next_midnight"),
    [
        ("2026-03-02", "2026-03-08", "UTC", "2026-03-02 00:00", "2026-03-09 00:00"),
        ("2026-03-02", "2026-03-08", "Europe/Paris", "2026-03-01 23:00", "2026-03-08 23:00"),
        # The 23-hour day: CET until 02:00, CEST after.
        ("2026-03-29", "2026-03-29", "Europe/Paris", "2026-03-28 23:00", "2026-03-29 22:00"),
        # The 25-hour day: CEST until 03:00, CET after.
        ("2026-10-25", "2026-10-25", "Europe/Paris", "2026-10-24 22:00", "2026-10-25 23:00"),
        ("2026-03-01", "2026-03-01", "Asia/Kathmandu", "2026-02-28 18:15", "2026-03-01 18:15"),
        ("2026-03-08", "2026-03-08", "America/New_York", "2026-03-08 05:00", "2026-03-09 04:00"),  # US spring forward
    ],
)
def test_whole_local_days_become_a_closed_utc_interval(start, end, tz, first_instant, next_midnight):
    window = local_date_range(start, end, tz).window
    assert window.start == utc(first_instant)
    assert window.end == utc(next_midnight) - MICROSECOND


def test_the_previous_period_has_the_same_number_of_days_and_ends_the_day_before():
    week = local_date_range("2026-03-02", "2026-03-08", "Europe/Paris")
    assert week.days == 7
    assert week.previous() == LocalDateRange(date(2026, 2, 23), date(2026, 3, 1), "Europe/Paris")
    day = local_date_range("2026-03-01", "2026-03-01")
    assert day.previous() == LocalDateRange(date(2026, 2, 28), date(2026, 2, 28), "UTC")


def test_a_leap_year_of_366_days_is_the_longest_range():
    assert local_date_range("2024-01-01", "2024-12-31").days == 366
    with pytest.raises(InvalidInput) as error:
        local_date_range("2024-01-01", "2025-01-01")
    assert error.value.errors[0]["loc"] == ["query", "end_date"]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-03-09", "2026-03-08", "end_date"),
        ("2026-02-29", "2026-03-08", "start_date"),  # 2026 is not a leap year
        ("2026-03-01", "2026/03/08", "end_date"),
        ("2026-03-01 ", "2026-03-0", "end_date"),
        ("0999-01-01", "0999-01-02", "start_date"),
        ("9999-12-31", "9999-12-31", "start_date"),
    ],
)
def test_bad_dates_are_invalid_input_on_their_field(start, end, field):
    with pytest.raises(InvalidInput) as error:
        local_date_range(start, end)
    assert error.value.errors[0]["loc"] == ["query", field]
    assert error.value.status_code == 422


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT-14", None, ""])
def test_iana_zones_are_accepted_and_none_means_utc(name):
    assert time_zone(name) == (name or "UTC")


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Base",
        "UTC+3",
        "+02:00",
        "localtime",
        "Factory",
        "posixrules",
        "/etc/localtime",
        "../zoneinfo/UTC",
        "europe/paris",
        "Europe/Paris\x00",
    ],
)
def test_anything_else_is_an_unknown_zone(name):
    with pytest.raises(InvalidInput) as error:
        time_zone(name)
    assert error.value.errors[0]["loc"] == ["query", "tz"]


@pytest.mark.parametrize(
    ("phone", "digits"),
    [
        ("+33612345678", "33612345678"),
        ("+33 (0)6 12-34.56.78", "330612345678"),
        ("5678", "5678"),
        (" 1234 ", "1234"),
        ("123456789012345", "123456789012345"),
    ],
)
def test_a_search_term_is_its_digits(phone, digits):
    assert phone_digits(phone) == digits


@pytest.mark.parametrize(
    "phone",
    ["123", "+1 2 3", "1234567890123456", "12a4", "12_34", "12%34", "1+234", "++1234", "1234#", "١٢٣٤", ""],
)
def test_a_search_term_must_be_4_to_15_digits_with_the_usual_separators(phone):
    with pytest.raises(InvalidInput) as error:
        phone_digits(phone)
    assert error.value.errors[0]["loc"] == ["query", "phone"]


def test_a_search_combines_term_range_and_limit():
    search = search_query("+33612345678", "2026-03-01", "2026-03-08", "Europe/Paris", 20)
    assert (search.digits, search.limit, search.dates.tz) == ("33612345678", 20, "Europe/Paris")
