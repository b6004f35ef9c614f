"""Agent and team performance: the insights view's blocks (aurion.metrics.breakdown) over the export's period,
one scan for both datasets. The metric code is imported when the rows are read (see
aurion.exports.datasets.voice)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aurion.exports.columns import Column
from aurion.exports.datasets.spec import DatasetSpec
from aurion.exports.job import DatasetContext
from aurion.models.exports import ExportScope

AGENT_COLUMNS = (
    Column("assignee_user_id", "text"),
    Column("assignee_name", "text"),
    Column("assigned_count", "int"),
    Column("resolved_count", "int"),
    Column("resolution_rate", "float"),
    Column("avg_first_response_minutes", "float"),
    Column("avg_resolution_minutes", "float"),
)
TEAM_COLUMNS = (
    Column("team_id", "text"),
    Column("team_name", "text"),
    Column("assigned_count", "int"),
    Column("resolved_count", "int"),
    Column("resolution_rate", "float"),
    Column("avg_resolution_minutes", "float"),
)


def _breakdown(ctx: DatasetContext) -> Any:
    from aurion.metrics.breakdown import conversation_breakdown

    job = ctx.job
    return ctx.once("breakdown", lambda: conversation_breakdown(ctx.tx, job.tenant_id, job.window))


def _agents(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    for item in _breakdown(ctx).agents:
        yield tuple(getattr(item, column.name) for column in AGENT_COLUMNS)


def _teams(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    for item in _breakdown(ctx).teams:
        yield tuple(getattr(item, column.name) for column in TEAM_COLUMNS)


_SCOPE: tuple[ExportScope, ...] = ("performance",)
AGENT_PERFORMANCE = DatasetSpec("agent_performance", "Agent performance", AGENT_COLUMNS, _agents, _SCOPE)
TEAM_PERFORMANCE = DatasetSpec("team_performance", "Team performance", TEAM_COLUMNS, _teams, _SCOPE)
