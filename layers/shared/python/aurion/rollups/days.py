"""What every daily rollup family shares: UTC days in SQL, and replacing the facts of a run of days."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from aurion.db import Transaction

# Rows of days :first..:last, as UTC midnights whatever the session's time zone (format with column=...).
DAYS_BETWEEN = """{column} >= CAST(:first AS date)::timestamp AT TIME ZONE 'UTC'
       AND {column} < (CAST(:last AS date) + 1)::timestamp AT TIME ZONE 'UTC'"""

_DELETE_DAYS = "DELETE FROM {table} WHERE tenant_id = CAST(:tenant_id AS uuid) AND day BETWEEN :first AND :last"


def moved_days(*sources: str) -> str:
    """The old days of rows of `sources` deleted, or moved to another day, since the last run (0014's triggers note
    them in rollup_moved_days: updated_at only shows where a row is now, and a deleted row is not there at all)."""
    tables = ", ".join(f"'{source}'" for source in sources)
    return f"""
SELECT day FROM rollup_moved_days
WHERE tenant_id = CAST(:tenant_id AS uuid) AND changed_at > :changed_since AND source IN ({tables})"""


def utc_day(column: str) -> str:
    return f"({column} AT TIME ZONE 'UTC')::date"


def count_sums(measures: Iterable[str]) -> str:
    """`sum(m)::bigint AS m, …`: summed counts come back as integers, not numerics."""
    return ", ".join(f"sum({m})::bigint AS {m}" for m in measures)


def replace_days(
    tx: Transaction, tenant_id: str, first: date, last: date, tables: Sequence[str], inserts: Sequence[str],
    **extra: Any,
) -> None:  # fmt: skip
    """Delete the facts of days first..last from `tables`, then run `inserts` (idempotent, in the caller's tx)."""
    params = {"tenant_id": tenant_id, "first": first, "last": last}
    for table in tables:
        tx.execute(_DELETE_DAYS.format(table=table), **params)
    for insert in inserts:
        tx.execute(insert, **params, **extra)
