"""Row-level datasets: written by `COPY (…) TO STDOUT` straight into the file (CSV, JSON), or read typed through a
server-side cursor, a few thousand rows per FETCH (xlsx, the PDF's previews).

COPY's rows are already the file's text (aurion.exports.sql_render): the worker moves bytes, and only a
row whose free text may hold personal data is parsed and redacted in Python. Memory holds one chunk of rows.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Final

from pg8000.exceptions import DatabaseError

from aurion.db import Transaction
from aurion.exports import sql_render
from aurion.exports.columns import Column
from aurion.exports.job import TIMEOUT_DETAIL, DatasetContext, ExportTimeout
from aurion.exports.writers import safe_text
from aurion.pg_errors import sqlstate
from aurion.redaction import redact_text


def LOCAL_DAY(expression: str) -> str:  # the local day in the export's zone, as YYYY-MM-DD text
    return f"to_char({expression} AT TIME ZONE :tz, 'YYYY-MM-DD')"


@dataclass(frozen=True)
class RowQuery:
    """A row-level query: one SQL source per column (in column order), FROM ... WHERE ..., and ORDER BY."""

    columns: tuple[Column, ...]
    sources: tuple[str, ...]
    body: str
    order: str

    def sql(self) -> str:
        """Each row as one JSON array text: pg8000 decodes twenty typed columns per row several times slower
        than json.loads (C) parses one text; numbers, booleans and null keep their types. ORDER BY stays on the
        table's columns, so the planner can still read in index order instead of sorting the whole range."""
        select = ", ".join(sql_render.typed(c, s) for c, s in zip(self.columns, self.sources, strict=True))
        return f"SELECT json_build_array({select})::text AS row {self.body} ORDER BY {self.order}"

    def _flag(self) -> str:
        return sql_render.flagged(self.columns, self.sources)

    def csv_sql(self) -> str:
        """A flag (empty, or 1 when Python must redact the row's free text), then the CSV fields."""
        flag = self._flag()
        fields = [sql_render.csv_value(c, s, flag) for c, s in zip(self.columns, self.sources, strict=True)]
        return f"SELECT CASE WHEN {flag} THEN '1' END, {', '.join(fields)} {self.body} ORDER BY {self.order}"

    def json_sql(self) -> str:
        """A flag (0, or 1 when Python must redact the row's free text), then the row as one JSON object text."""
        members = " || ',' || ".join(
            sql_render.json_member(c, s) for c, s in zip(self.columns, self.sources, strict=True)
        )
        return (
            f"SELECT CASE WHEN {self._flag()} THEN 1 ELSE 0 END, '{{' || {members} || '}}' "
            f"{self.body} ORDER BY {self.order}"
        )


_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")


def _literal(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no single instant")
        return f"CAST({sql_render.sql_text(value.isoformat())} AS timestamptz)"
    if isinstance(value, str):
        return sql_render.sql_text(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def inline_params(sql: str, params: dict[str, Any]) -> str:
    """COPY takes no bind parameters: the job's own values (its tenant id, instants and zone, never user text)
    become literals. Names that are not parameters (`HH24:MI` inside a format string) are left alone."""
    return _PLACEHOLDER.sub(lambda m: _literal(params[m[1]]) if m[1] in params else m[0], sql)


# The settings of the one statement that writes a dataset, restored after it (the transaction goes on).
_COPY_SETTINGS = dict(enumerate(("statement_timeout", "TimeZone", "jit")))
_READ_COPY_SETTINGS = "SELECT " + ", ".join(f"current_setting('{name}') AS s{i}" for i, name in _COPY_SETTINGS.items())
_SET_COPY_SETTINGS = "SELECT " + ", ".join(f"set_config('{name}', :s{i}, true)" for i, name in _COPY_SETTINGS.items())


@contextmanager
def copy_settings(tx: Transaction, budget_ms: int | None, tz: str) -> Iterator[None]:
    """The session as a dataset's COPY needs it, for the COPY's duration (restored only once it succeeded: an
    error ends the transaction anyway).

    - statement_timeout: one statement writes the whole dataset, so its budget is the export's time left (0: none);
    - TimeZone: sql_render.local_iso formats instants in the session's zone (nothing else in the query reads it);
    - jit off: compiling the COPY's ~140 rendering expressions (LLVM, again in every parallel worker: 2.3-3.3 s
      of CPU for 1,000,000 rows) costs more than compiled code saves on string functions, which are calls
      either way (docs/performance.md).
    """
    previous = tx.one(_READ_COPY_SETTINGS)
    assert previous is not None
    tx.execute(_SET_COPY_SETTINGS, s0=str(budget_ms or 0), s1=tz, s2="off")
    yield
    tx.execute(_SET_COPY_SETTINGS, **previous)


# The COPY format each file's rows are read in: JSON text needs no CSV quoting, only COPY text's backslashes undone.
COPY_FORMATS: Final = {"csv": "csv", "json": "text"}
_CHUNK_ROWS = 2000
_SOCKET_SLACK_S = 5  # past the statement's own timeout, so the server's cancel arrives first
_FLAGGED = ord("1")  # the first byte of a row whose free text Python must redact


class _CopySink:
    """Receives COPY's rows (a block at a time, aurion.db_copy_out) and writes the file's bytes a chunk at a time.

    An error while writing (the upload, a cancel at a progress checkpoint, the deadline) cannot be raised inside
    the driver's read loop: it is kept, the server is asked to cancel the COPY, the rows already on their way are
    drained, and the error is raised once the driver returns.
    """

    def __init__(
        self,
        ctx: DatasetContext,
        out: IO[bytes],
        clean: Callable[[bytes], bytes],
        flagged: Callable[[bytes], bytes],
        join: Callable[[list[bytes], bool], bytes],
    ) -> None:
        self.rows = 0
        self.error: BaseException | None = None
        self._ctx, self._out = ctx, out
        self._clean, self._flagged, self._join = clean, flagged, join
        self._chunk: list[bytes] = []
        self._limit = self._chunk_limit()

    def _chunk_limit(self) -> int:
        progress = self._ctx.progress
        return _CHUNK_ROWS if progress is None else min(_CHUNK_ROWS, progress.rows_until_due())

    def write_rows(self, rows: list[bytes]) -> None:
        if self.error is not None:
            return
        try:
            clean, flagged = self._clean, self._flagged
            converted = [flagged(row) if row[0] == _FLAGGED else clean(row) for row in rows]
            # A chunk ends exactly at its limit, so progress checkpoints fall on the same row counts whatever
            # the blocks the rows arrive in.
            while len(self._chunk) + len(converted) >= self._limit:
                room = self._limit - len(self._chunk)
                self._chunk += converted[:room]
                converted = converted[room:]
                self._flush()
            self._chunk += converted
        except BaseException as exc:  # kept for finish(): see the class docstring
            self.error = exc
            # The rest of the rows are not wanted: stop the server rather than read them all.
            self._ctx.tx.cancel_running_statement()

    def _flush(self) -> None:
        if not self._chunk:
            return
        self._out.write(self._join(self._chunk, self.rows == 0))
        self.rows += len(self._chunk)
        written, self._chunk = len(self._chunk), []
        self._ctx.deadline.check()
        if self._ctx.progress is not None:
            self._ctx.progress.advance(written)
        self._limit = self._chunk_limit()

    def finish(self) -> int:
        if self.error is None:
            self._flush()
        if self.error is not None:
            raise self.error
        return self.rows


def _pii_text_indexes(columns: tuple[Column, ...]) -> list[int]:
    return [index for index, column in enumerate(columns) if column.pii == "text"]


def _redacted(value: str) -> str:
    return str(redact_text(value))


@dataclass(frozen=True)
class CopyRows:
    """A row-level dataset written by COPY: its CSV data rows, or its JSON objects."""

    ctx: DatasetContext
    query: RowQuery

    def _run(self, select: str, copy_format: str, sink: _CopySink) -> int:
        if self.ctx.tx.server_setting("server_encoding") != "UTF8":
            # sql_render tells ASCII text by its byte length, which only UTF-8 makes sound.
            raise RuntimeError("exports need a UTF8 database")
        tx, deadline = self.ctx.tx, self.ctx.deadline
        deadline.check()
        sql = f"COPY ({inline_params(select, self.ctx.job.params())}) TO STDOUT WITH (FORMAT {copy_format})"
        # One statement writes the whole dataset: its budget is the export's time left, not the per-query timeout
        # (a cursor's FETCHes were each a statement), and running out of it is the export's timeout.
        budget = deadline.remaining_ms()
        with copy_settings(tx, budget, self.ctx.job.tz):
            try:
                tx.copy_out(sql, sink, timeout_s=None if budget is None else budget / 1000 + _SOCKET_SLACK_S)
            except DatabaseError as exc:
                if sink.error is not None:  # the cancel the sink sent: its own error is the reason
                    raise sink.error from None
                if budget is not None and sqlstate(exc) == "57014":
                    raise ExportTimeout(TIMEOUT_DETAIL) from exc
                raise
            if sink.error is not None:  # the COPY ended before the cancel arrived
                raise sink.error
        return sink.finish()

    def write_csv(self, out: IO[bytes]) -> int:
        """The data rows (CRLF-terminated, as csv.writer writes them); the header is the writer's."""
        free_text = [index + 1 for index in _pii_text_indexes(self.query.columns)]  # after the flag field
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flagged(data: bytes) -> bytes:
            fields = next(csv.reader([data.decode("utf-8")[:-1]]))
            for index in free_text:
                if fields[index]:
                    fields[index] = safe_text(_redacted(fields[index]))
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(fields[1:])
            return buffer.getvalue()[:-2].encode("utf-8")

        def join(chunk: list[bytes], _first: bool) -> bytes:
            return b"\r\n".join(chunk) + b"\r\n"

        # A clean row is ",<fields>\n": the empty flag field and COPY's LF go, csv's CRLF comes with the join.
        sink = _CopySink(self.ctx, out, lambda data: data[1:-1], flagged, join)
        return self._run(self.query.csv_sql(), COPY_FORMATS["csv"], sink)

    def write_json(self, out: IO[bytes]) -> int:
        """The rows as JSON objects separated by commas (no brackets: the writer's)."""
        names = [self.query.columns[index].name for index in _pii_text_indexes(self.query.columns)]

        # COPY's text format doubles each backslash (JSON's escapes) and ends the row with LF; the JSON text
        # holds no raw control character (to_json escapes them), so nothing else is escaped.
        def clean(data: bytes) -> bytes:
            return data[2:-1].replace(b"\\\\", b"\\")

        def flagged(data: bytes) -> bytes:
            row = json.loads(clean(data))
            for name in names:
                if row[name]:
                    row[name] = _redacted(row[name])
            return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        def join(chunk: list[bytes], first: bool) -> bytes:
            return (b"" if first else b",") + b",".join(chunk)

        sink = _CopySink(self.ctx, out, clean, flagged, join)
        return self._run(self.query.json_sql(), COPY_FORMATS["json"], sink)


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
