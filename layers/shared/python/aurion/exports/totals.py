"""How many data rows an export will hold, counted when the worker starts, for its percentage and estimated finish.

Only the row-level datasets (every call, every conversation of the period) are counted: they are where the rows
are, one count(*) each over the same FROM ... WHERE as the rows (the period's index; ~130 ms for 875,000 calls).
The per-day summary tables add a few rows per day that the total does not include, so the percentage is capped at
99 until the export succeeds. A PDF prints at most a sample of the rows: its total is not known (None).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aurion.db import Transaction
from aurion.exports.datasets import datasets_of, records
from aurion.exports.job import ExportJob

_BODIES = {records.CALLS.name: records.CALLS_BODY, records.CONVERSATIONS.name: records.CONVERSATIONS_BODY}
RUNNING_PERCENT_CAP = 99


def count_rows(tx: Transaction, job: ExportJob) -> int | None:
    if job.options.format == "pdf":
        return None
    bodies = [_BODIES[spec.name] for spec in datasets_of(job.options) if spec.name in _BODIES]
    if not bodies:
        return None
    params = {"tenant_id": job.tenant_id, "start": job.start, "end": job.end}
    return sum(int(tx.value(f"SELECT count(*) {body}", **params) or 0) for body in bodies)


def percent(rows_written: int | None, rows_total: int | None, status: str) -> int | None:
    if status == "succeeded":
        return 100
    if status != "running" or rows_total is None or rows_written is None:
        return None
    if rows_total == 0:
        return RUNNING_PERCENT_CAP
    return min(RUNNING_PERCENT_CAP, rows_written * 100 // rows_total)


def estimated_finish(
    rows_written: int | None,
    rows_total: int | None,
    started_at: datetime | None,
    progress_at: datetime | None,
    status: str,
) -> datetime | None:
    """The rate so far (rows per second since the start) carried over the rows left; None before the first
    checkpoint with rows, or when the total is unknown."""
    if status != "running" or rows_written is None or rows_total is None or started_at is None or progress_at is None:
        return None
    elapsed = (progress_at - started_at).total_seconds()
    if rows_written <= 0 or elapsed <= 0:
        return None
    left = max(0, rows_total - rows_written)
    return progress_at + timedelta(seconds=left * elapsed / rows_written)
