"""Query parameters of the v1 voice routes: local calendar dates in an IANA time zone, outcome, phone search.

`start_date` / `end_date` are whole days in `tz`, both included: the range is the instants from start_date
00:00 to end_date + 1 day 00:00 (exclusive) in that zone, so a 23- or 25-hour day around a daylight-saving
change is exactly one day. Metric queries take the closed UTC interval of aurion.params.DateRange, whose end
is the last microsecond before the next local midnight (timestamptz has microsecond resolution).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from aws_lambda_powertools.event_handler.openapi.params import Query
from pg8000.exceptions import DatabaseError

from aurion.date_bounds import OUT_OF_BOUNDS_MSG, date_in_bounds
from aurion.errors import InvalidInput
from aurion.params import MAX_RANGE_DAYS, DateRange
from aurion.pg_errors import server_message, sqlstate
from aurion.redaction import digits_of

CallOutcome = Literal["resolved", "ticket_created", "escalated", "transferred", "voicemail", "abandoned"]
CallStatus = Literal["completed", "failed"]

DEFAULT_TZ: Final = "UTC"
MIN_PHONE_DIGITS: Final = 4
MAX_PHONE_DIGITS: Final = 15  # E.164
SEARCH_DEFAULT_LIMIT: Final = 50
_DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Digits with the separators people type: spaces, dashes, dots, parentheses; one leading +.
_PHONE_PATTERN: Final = r"^\+?[0-9 ().-]+$"
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_UNKNOWN_ZONE_MSG: Final = "Unknown time zone: use an IANA name such as Europe/Paris"

StartDate = Annotated[
    str,
    Query(
        description="First day of the range, YYYY-MM-DD (1970-01-01 to 9998-12-31), in tz (included)",
        pattern=_DATE_PATTERN,
        examples=["2026-03-01"],
    ),
]
EndDate = Annotated[
    str,
    Query(
        description=f"Last day of the range, YYYY-MM-DD (1970-01-01 to 9998-12-31), in tz (included); "
        f"at most {MAX_RANGE_DAYS} days in all",
        pattern=_DATE_PATTERN,
        examples=["2026-03-08"],
    ),
]
Tz = Annotated[
    str,
    Query(
        description="IANA time zone that places calls on days, hours and weekdays (default UTC)",
        max_length=64,
        examples=["Europe/Paris"],
    ),
]
OutcomeFilter = Annotated[CallOutcome | None, Query(description="Only calls with this outcome")]
Phone = Annotated[
    str,
    Query(
        description=f"The number or its ending: {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits, optionally with a "
        "leading + and spaces, dashes, dots or parentheses. Matches calls whose number ends with these digits.",
        min_length=MIN_PHONE_DIGITS,
        max_length=40,
        pattern=_PHONE_PATTERN,
        examples=["+33612345678", "5678"],
    ),
]
SearchLimit = Annotated[int, Query(ge=1, le=100, description="Maximum number of calls returned (1-100)")]


@dataclass(frozen=True)
class LocalDateRange:
    """Whole local days [start_date, end_date] in tz, and the UTC instants they cover."""

    start_date: date
    end_date: date
    tz: str

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def window(self) -> DateRange:
        zone = UTC if self.tz == DEFAULT_TZ else ZoneInfo(self.tz)
        start = datetime.combine(self.start_date, time.min, tzinfo=zone).astimezone(UTC)
        next_midnight = datetime.combine(self.end_date + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
        return DateRange(start=start, end=next_midnight - _ONE_MICROSECOND)

    def previous(self) -> LocalDateRange:
        """The period of equal length that ends the day before this one starts."""
        return LocalDateRange(
            start_date=self.start_date - timedelta(days=self.days),
            end_date=self.start_date - timedelta(days=1),
            tz=self.tz,
        )


@dataclass(frozen=True)
class CallSearch:
    digits: str
    dates: LocalDateRange
    limit: int


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # "localtime" is whatever the server's clock says; "Factory" and "posixrules" are not places.
    return frozenset(available_timezones()) - {"localtime", "Factory", "posixrules"}


def time_zone(value: str | None) -> str:
    """An IANA zone name of the tz database; 422 on tz otherwise (see also zone_known_to_database)."""
    name = (value or DEFAULT_TZ).strip()
    if name == DEFAULT_TZ:
        return name
    # Only names of the tz database: no file paths, no POSIX strings like "UTC+3" (PostgreSQL reads their sign
    # the other way round), no "localtime".
    if name not in _known_zones():
        raise InvalidInput(("query", "tz"), _UNKNOWN_ZONE_MSG, "value_error")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(("query", "tz"), _UNKNOWN_ZONE_MSG, "value_error") from None
    return name


@contextmanager
def zone_known_to_database() -> Iterator[None]:
    """A zone Python knows but this PostgreSQL's tz database does not (an older tzdata) is a 422, not a 500."""
    try:
        yield
    except DatabaseError as exc:
        if sqlstate(exc) == "22023" and "time zone" in server_message(exc):
            raise InvalidInput(("query", "tz"), _UNKNOWN_ZONE_MSG, "value_error") from None
        raise


def _day(value: str, field: str) -> date:
    text = value.strip()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            ("query", field), "Input should be a valid date in YYYY-MM-DD format", "date_parsing"
        ) from None
    if not date_in_bounds(day):
        raise InvalidInput(("query", field), OUT_OF_BOUNDS_MSG, "value_error")
    return day


def local_date_range(start_date: str, end_date: str, tz: str | None = DEFAULT_TZ) -> LocalDateRange:
    start, end = _day(start_date, "start_date"), _day(end_date, "end_date")
    zone = time_zone(tz)
    if end < start:
        raise InvalidInput(("query", "end_date"), "end_date must not be before start_date", "value_error")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(("query", "end_date"), f"The range may span at most {MAX_RANGE_DAYS} days", "value_error")
    return LocalDateRange(start_date=start, end_date=end, tz=zone)


def phone_digits(phone: str) -> str:
    """The digits of a search term; 422 on phone unless it is 4-15 digits with the usual separators."""
    text = phone.strip()
    if not re.fullmatch(r"\+?[0-9 ().-]*", text):
        raise InvalidInput(
            ("query", "phone"),
            "Use digits, optionally with a leading + and spaces, dashes, dots or parentheses",
            "value_error",
        )
    digits = digits_of(text)
    if len(digits) < MIN_PHONE_DIGITS:
        raise InvalidInput(("query", "phone"), f"Give at least {MIN_PHONE_DIGITS} digits", "value_error")
    if len(digits) > MAX_PHONE_DIGITS:
        raise InvalidInput(("query", "phone"), f"Give at most {MAX_PHONE_DIGITS} digits", "value_error")
    return digits


def search_query(
    phone: str, start_date: str, end_date: str, tz: str | None = DEFAULT_TZ, limit: int = SEARCH_DEFAULT_LIMIT
) -> CallSearch:
    return CallSearch(digits=phone_digits(phone), dates=local_date_range(start_date, end_date, tz), limit=limit)
