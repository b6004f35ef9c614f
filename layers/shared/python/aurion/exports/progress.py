"""How far a running export is: data rows written, recorded at checkpoints while the file is being written.

The rows are read in one long transaction (a server-side cursor), so a checkpoint cannot write through it: nobody
would see the number before the commit. Each checkpoint is one UPDATE of the export row in a short transaction
on a second connection, opened at the first checkpoint (a small export never opens it). A checkpoint is due
every `every_rows` rows or `every_seconds` seconds, whichever comes first; a failed write is logged and the export
goes on (the number is advisory; the final row_count is what the success records). The checkpoint is also where
a cancel is noticed: `record` raises ExportCancelled, which stops the export.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from aurion.logs import logger

T = TypeVar("T")


class ExportCancelled(Exception):
    """An admin cancelled the export: the worker stops at this checkpoint and the upload is aborted."""


class Progress:
    def __init__(
        self,
        record: Callable[[int], None],
        *,
        every_rows: int,
        every_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rows = 0
        self._record = record
        self._every_rows = every_rows
        self._every_seconds = every_seconds
        self._monotonic = monotonic
        self._last_rows = 0
        self._last_at = monotonic()

    def counted(self, rows: Iterable[T]) -> Iterator[T]:
        """The rows, unchanged; each one handed to the writer counts, and a due checkpoint is recorded."""
        for row in rows:
            yield row
            self.rows += 1
            if (
                self.rows - self._last_rows >= self._every_rows
                or self._monotonic() - self._last_at >= self._every_seconds
            ):
                self.checkpoint()

    def rows_until_due(self) -> int:
        """How many more rows make a checkpoint due by count (a chunked writer flushes there, so checkpoints fall
        on the same row counts as row by row)."""
        return max(1, self._every_rows - (self.rows - self._last_rows))

    def advance(self, rows: int) -> None:
        """`rows` more rows written by a writer that counts a chunk at a time (COPY); a due checkpoint is recorded."""
        self.rows += rows
        if self.rows - self._last_rows >= self._every_rows or self._monotonic() - self._last_at >= self._every_seconds:
            self.checkpoint()

    def checkpoint(self) -> None:
        self._last_rows, self._last_at = self.rows, self._monotonic()
        try:
            self._record(self.rows)
        except ExportCancelled:
            raise
        except Exception as exc:
            logger.warning("could not record the export's progress", extra={"error_type": type(exc).__name__})
