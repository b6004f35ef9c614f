"""A writer that counts rows a chunk at a time (COPY) records its checkpoints on the same row counts as row by row."""

from __future__ import annotations

import pytest

from aurion.exports.progress import ExportCancelled, Progress


def test_chunks_cut_at_the_next_due_count_give_the_row_by_row_checkpoints():
    # Given a checkpoint every 500 rows, and a writer whose chunks are at most 200 rows, cut where one falls due
    recorded: list[int] = []
    progress = Progress(recorded.append, every_rows=500, every_seconds=3600, monotonic=lambda: 0.0)
    written = 0
    while written < 1800:
        chunk = min(200, progress.rows_until_due(), 1800 - written)
        progress.advance(chunk)
        written += chunk
    # Then the checkpoints are those of a row-by-row count
    assert recorded == [500, 1000, 1500]
    assert progress.rows == 1800


def test_a_checkpoint_is_also_due_by_time_and_a_cancel_raises_through_advance():
    # Given a clock that moves 10 s per chunk and a checkpoint every 5 s
    now = iter(float(t) for t in range(0, 1000, 10))
    seen: list[int] = []

    def record(rows: int) -> None:
        seen.append(rows)
        if rows >= 30:
            raise ExportCancelled("cancelled")

    progress = Progress(record, every_rows=1_000_000, every_seconds=5, monotonic=lambda: next(now))
    progress.advance(10)
    progress.advance(10)
    # When the admin's cancel is seen at a checkpoint, Then it stops the writer
    with pytest.raises(ExportCancelled):
        progress.advance(10)
    assert seen == [10, 20, 30]
