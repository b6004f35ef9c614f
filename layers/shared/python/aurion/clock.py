"""The one clock of the package: "now" for default ranges, the aggregator's as_of (today, which days are closed)
and the SQL that judges "past due", so a caller or a test fixes time in one place.

Callers read it as `clock.now()` at call time (never `from aurion.clock import now`), so replacing `now` here
(tests/support/clock.py does) moves every reader at once. Times the database stamps itself (`updated_at`
triggers, column defaults) stay on the database's clock: aurion/rollups/aggregator.py says how the two meet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aurion.db import Transaction


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def now_of(tx: Transaction) -> datetime:
    """now(), read once per transaction: every block of a request judges "past due" at the same moment, as SQL
    now() (the transaction's start) did."""
    return tx.remembered("aurion.clock.now", now)
