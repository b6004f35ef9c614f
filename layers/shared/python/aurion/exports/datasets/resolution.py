"""Resolution rates: the API's resolution-rates answer (aurion.metrics.resolution) over the export's period,
and the same figures per local day. The metric code is imported when the rows are read (see
aurion.exports.datasets.voice)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aurion.exports.columns import Column
from aurion.exports.datasets.quality import conversation_days
from aurion.exports.datasets.spec import DatasetSpec
from aurion.exports.job import DatasetContext
from aurion.models.exports import ExportScope

RESOLUTION_COLUMNS = (
    Column("total", "int"),
    Column("resolved", "int"),
    Column("ai_resolved", "int"),
    Column("human_resolved", "int"),
    Column("resolution_rate", "float"),
    Column("ai_resolution_rate", "float"),
    Column("human_resolution_rate", "float"),
)
RESOLUTION_PRIORITY_COLUMNS = (Column("priority", "text"), *RESOLUTION_COLUMNS)
RESOLUTION_DAILY_COLUMNS = (Column("day", "date"), *RESOLUTION_COLUMNS)


def _figures(counts: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(counts[column.name] for column in RESOLUTION_COLUMNS)


def _by_priority(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    from aurion.metrics.resolution import resolution_by_priority

    overall, per_priority = resolution_by_priority(ctx.tx, ctx.job.tenant_id, ctx.job.window)
    yield ("all", *_figures(overall))
    for priority, counts in per_priority:
        yield (priority, *_figures(counts))


def _daily(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    from aurion.metrics.resolution import resolution_counts

    for day in conversation_days(ctx):
        if day["conversations"]:
            yield (day["day"], *_figures(resolution_counts(day)))


_SCOPE: tuple[ExportScope, ...] = ("resolution_rates",)
RESOLUTION_BY_PRIORITY = DatasetSpec(
    "resolution_by_priority", "Resolution by priority", RESOLUTION_PRIORITY_COLUMNS, _by_priority, _SCOPE
)
RESOLUTION_DAILY = DatasetSpec("resolution_daily", "Resolution per day", RESOLUTION_DAILY_COLUMNS, _daily, _SCOPE)
