"""Row-level datasets read through a server-side cursor, a few thousand rows per FETCH.

Rows are handed to the writer one at a time: memory does not grow with the export.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aurion.exports.job import DatasetContext


def EPOCH(expression: str) -> str:  # reads like the SQL it writes
    return f"date_part('epoch', {expression})"


def LOCAL_DAY(expression: str) -> str:  # the local day in the export's zone, as YYYY-MM-DD text
    return f"to_char({expression} AT TIME ZONE :tz, 'YYYY-MM-DD')"


@dataclass(frozen=True)
class RowQuery:
    """A row-level query: its select list (in column order), FROM ... WHERE ..., and ORDER BY."""

    select: tuple[str, ...]
    body: str
    order: str

    def sql(self) -> str:
        """Each row as one JSON array text: pg8000 decodes twenty typed columns per row several times slower
        than json.loads (C) parses one text; numbers, booleans and null keep their types. ORDER BY stays on the
        table's columns, so the planner can still read in index order instead of sorting the whole range."""
        return f"SELECT json_build_array({', '.join(self.select)})::text AS row {self.body} ORDER BY {self.order}"


_cursor_ids = itertools.count(1)


def cursor_rows(ctx: DatasetContext, query: RowQuery) -> Iterator[list[Any]]:
    """Rows of the query through a server-side cursor, fetch_rows at a time (only one batch is in memory)."""
    name = f"export_rows_{next(_cursor_ids)}"
    ctx.tx.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {query.sql()}", **ctx.job.params())
    while True:
        ctx.deadline.check()
        batch = ctx.tx.all(f"FETCH FORWARD {int(ctx.fetch_rows)} FROM {name}")
        if not batch:
            break
        for record in batch:
            yield json.loads(record["row"])
    # An abandoned cursor (an error mid-export) closes with its transaction.
    ctx.tx.execute(f"CLOSE {name}")


def first_rows(ctx: DatasetContext, query: RowQuery, limit: int) -> list[list[Any]]:
    """The first `limit` rows of the query (the PDF report's detail tables)."""
    return [
        json.loads(row["row"]) for row in ctx.tx.all(f"{query.sql()} LIMIT :limit", limit=limit, **ctx.job.params())
    ]
