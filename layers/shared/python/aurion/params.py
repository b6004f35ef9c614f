"""Query parameters shared by the routes: declared once, so validation and OpenAPI agree everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query

from aurion import clock
from aurion.date_bounds import EARLIEST_INSTANT, OUT_OF_BOUNDS_MSG, instant_in_bounds
from aurion.errors import InvalidInput

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30

DateFrom = Annotated[
    str | None,
    Query(
        description="Lower bound (ISO 8601 datetime; no offset means UTC; a bare date means its start), "
        "1970-01-01 to 9998-12-31 in UTC. Default: 30 days before date_to.",
        examples=["2026-03-01T00:00:00Z"],
    ),
]
DateTo = Annotated[
    str | None,
    Query(
        description="Upper bound, inclusive (ISO 8601 datetime; no offset means UTC; a bare date means its end), "
        "1970-01-01 to 9998-12-31 in UTC. Default: now.",
        examples=["2026-03-08T23:59:59Z"],
    ),
]
TeamId = Annotated[UUID | None, Query(description="Filter by assignee team UUID")]
AgentId = Annotated[UUID | None, Query(description="Filter by assignee agent UUID")]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (1-200)")]
# Bounded so PostgreSQL's bigint OFFSET can take it (an unbounded one was a 500); no page is that far anyway.
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Page offset (0-{MAX_OFFSET:,})")]


@dataclass(frozen=True)
class DateRange:
    """A closed UTC interval [start, end]."""

    start: datetime
    end: datetime


def _parse_bound(value: str, field: str, *, end_of_day: bool) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            ("query", field), "Input should be an ISO 8601 datetime or date", "datetime_from_date_parsing"
        ) from None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    if not instant_in_bounds(aware):
        raise InvalidInput(("query", field), f"{OUT_OF_BOUNDS_MSG} (in UTC)", "value_error")
    return aware.astimezone(UTC)


def date_range(date_from: str | None, date_to: str | None, *, now: datetime | None = None) -> DateRange:
    end = _parse_bound(date_to, "date_to", end_of_day=True) if date_to else (now or clock.now())
    start = (
        _parse_bound(date_from, "date_from", end_of_day=False)
        if date_from
        else end - timedelta(days=DEFAULT_RANGE_DAYS)
    )
    if start < EARLIEST_INSTANT:  # only the default start can be: an explicit one was checked
        raise InvalidInput(
            ("query", "date_from"),
            f"Without date_from the range starts {DEFAULT_RANGE_DAYS} days before date_to, before "
            f"{EARLIEST_INSTANT.date()}: give date_from ({OUT_OF_BOUNDS_MSG})",
            "value_error",
        )
    if start > end:
        raise InvalidInput(("query", "date_from"), "date_from must not be after date_to", "value_error")
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise InvalidInput(("query", "date_to"), f"The range may span at most {MAX_RANGE_DAYS} days", "value_error")
    return DateRange(start=start, end=end)


def optional_id(value: UUID | None) -> str | None:
    return str(value) if value is not None else None
