"""Calls per day and call outcomes: the API's call metrics (aurion.metrics.call_metrics) over the export's
period, days in its zone. The metric code is imported when the rows are read: the exports API, which only needs
the declarations (an export's file name), loads none of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aurion.exports.columns import Column
from aurion.exports.datasets.spec import DatasetSpec
from aurion.exports.job import DatasetContext

VOICE_DAILY_COLUMNS = (
    Column("day", "date"),
    Column("total_calls", "int"),
    Column("completed_calls", "int"),
    Column("failed_calls", "int"),
    Column("avg_duration_seconds", "float"),
    Column("first_call_resolution_rate", "float"),
    Column("resolved_calls", "int"),
    Column("tickets_created", "int"),
    Column("escalation_count", "int"),
)
CALL_OUTCOME_COLUMNS = (Column("outcome", "text"), Column("calls", "int"), Column("share_rate", "float"))


def call_breakdown_rows(ctx: DatasetContext, grouping: str) -> list[dict[str, Any]]:
    """The call-metrics rows of one grouping set ("BY_DAY", "BY_OUTCOME"), one query per export for all."""
    from aurion.metrics import call_metrics

    job = ctx.job
    rows = ctx.once("calls", lambda: call_metrics.call_breakdown(ctx.tx, job.tenant_id, job.window, job.tz))
    return [row for row in rows if row["grouping_id"] == getattr(call_metrics, grouping)]


def _voice_daily(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    # Days without calls are left out, as in call-metrics' call_volume.
    for row in call_breakdown_rows(ctx, "BY_DAY"):
        yield (row["day"], *(row[column.name] for column in VOICE_DAILY_COLUMNS[1:]))


def _call_outcomes(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    for row in call_breakdown_rows(ctx, "BY_OUTCOME"):
        yield row["outcome"], row["total_calls"], row["percentage"]


VOICE_DAILY = DatasetSpec(
    "voice_daily", "Calls per day", VOICE_DAILY_COLUMNS, _voice_daily, scopes=("voice", "all"),
    when=lambda options: not options.include_call_details,
)  # fmt: skip
CALL_OUTCOMES = DatasetSpec(
    "call_outcomes", "Call outcomes", CALL_OUTCOME_COLUMNS, _call_outcomes, scopes=("resolution_rates",)
)
