"""The years the API serves, for every date a client gives (v2 bounds, v1 voice days, export periods).

Python's datetime stops at years 1 and 9999: shifting 0001-01-01T00:00+05:00 to UTC, stepping 30 days back from
0001-01-05, or taking the day after 9999-12-31 raises OverflowError (a 500 before these bounds). Every range is
also stepped past by the code that reads it (the previous period, the local midnight after the last day, a
rollup window's next day), so a year of margin stays on each side: 1970-01-01 to 9998-12-31, in UTC for
instants and as local calendar days for dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Final

EARLIEST_DATE: Final = date(1970, 1, 1)
LATEST_DATE: Final = date(9998, 12, 31)
EARLIEST_INSTANT: Final = datetime.combine(EARLIEST_DATE, time.min, tzinfo=UTC)
LATEST_INSTANT: Final = datetime.combine(LATEST_DATE, time.max, tzinfo=UTC)
OUT_OF_BOUNDS_MSG: Final = f"Dates must be between {EARLIEST_DATE} and {LATEST_DATE}"


def date_in_bounds(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


def instant_in_bounds(moment: datetime) -> bool:
    """For an aware datetime; False as well when it cannot even be shifted to UTC."""
    try:
        return EARLIEST_INSTANT <= moment.astimezone(UTC) <= LATEST_INSTANT
    except OverflowError:
        return False
