"""SLA compliance and CSAT: the API's SLA answer (aurion.metrics.sla) over the export's period, and the same
facts per local day (aurion.facts.conversations, aurion.facts.csat). The metric code is imported when the rows
are read (see aurion.exports.datasets.voice)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aurion.exports.columns import Column
from aurion.exports.datasets.spec import DatasetSpec
from aurion.exports.job import DatasetContext
from aurion.models.exports import ExportScope

SLA_BUCKET_COLUMNS = (
    Column("tracked", "int"),
    Column("met", "int"),
    Column("breached", "int"),
    Column("compliance_rate", "float"),
)
SLA_SUMMARY_COLUMNS = (Column("target", "text"), *SLA_BUCKET_COLUMNS)
SLA_PRIORITY_COLUMNS = (Column("priority", "text"), *SLA_BUCKET_COLUMNS)
SLA_TEAM_COLUMNS = (Column("team_id", "text"), Column("team_name", "text"), *SLA_BUCKET_COLUMNS)
SLA_DAILY_COLUMNS = (
    Column("day", "date"),
    Column("first_response_met", "int"),
    Column("first_response_breached", "int"),
    Column("first_response_compliance_rate", "float"),
    Column("resolution_met", "int"),
    Column("resolution_breached", "int"),
    Column("resolution_compliance_rate", "float"),
)
CSAT_DAILY_COLUMNS = (
    Column("day", "date"),
    Column("responses", "int"),
    Column("rated_responses", "int"),
    Column("avg_rating", "float"),
    Column("positive_rate", "float"),
)


def _bucket(bucket: Any) -> tuple[Any, ...]:
    return (bucket.tracked, bucket.met, bucket.breached, bucket.compliance_rate)


def sla_summary_rows(ctx: DatasetContext) -> dict[str, list[tuple[Any, ...]]]:
    """The sla-compliance answer as rows: "summary", "by_priority", "by_team" (one query feeds the three)."""
    from aurion.metrics.sla import sla_model, sla_rows

    def compute() -> dict[str, list[tuple[Any, ...]]]:
        model = sla_model(sla_rows(ctx.tx, ctx.job.tenant_id, ctx.job.window))
        return {
            "summary": [("first_response", *_bucket(model.first_response)), ("resolution", *_bucket(model.resolution))],
            "by_priority": [(item.priority, *_bucket(item)) for item in model.by_priority],
            "by_team": [(item.team_id, item.team_name, *_bucket(item)) for item in model.by_team],
        }

    rows: dict[str, list[tuple[Any, ...]]] = ctx.once("sla", compute)
    return rows


def conversation_days(ctx: DatasetContext) -> list[dict[str, Any]]:
    """The conversation facts of each local day of the period (SLA and resolution per day share them)."""
    from aurion.rollups.conversations import local_day_facts

    job = ctx.job
    days: list[dict[str, Any]] = ctx.once(
        "conversation_days", lambda: local_day_facts(ctx.tx, job.tenant_id, job.start, job.end, job.tz)
    )
    return days


def _sla_part(part: str) -> Any:
    def rows(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
        yield from sla_summary_rows(ctx)[part]

    return rows


def _sla_daily(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    from aurion.metrics.sla import resolution_bucket, sla_bucket

    for day in conversation_days(ctx):
        first = sla_bucket(day["fr_tracked"], day["fr_met"], day["fr_breached"])
        resolution = resolution_bucket(day)
        # A day shows once something was decided on it (pending work is not an outcome yet).
        if first["met"] + first["breached"] + resolution["met"] + resolution["breached"]:
            yield (
                day["day"], first["met"], first["breached"], first["compliance_rate"],
                resolution["met"], resolution["breached"], resolution["compliance_rate"],
            )  # fmt: skip


def _csat_daily(ctx: DatasetContext) -> Iterator[tuple[Any, ...]]:
    from aurion.rollups.csat import local_day_csat

    job = ctx.job
    for day in local_day_csat(ctx.tx, job.tenant_id, job.start, job.end, job.tz):
        yield day["day"], day["responses"], day["rated"], day["avg_rating"], day["positive_rate"]


_SCOPE: tuple[ExportScope, ...] = ("sla_quality",)
SLA_SUMMARY = DatasetSpec("sla_summary", "SLA compliance", SLA_SUMMARY_COLUMNS, _sla_part("summary"), _SCOPE)
SLA_BY_PRIORITY = DatasetSpec(
    "sla_by_priority", "SLA by priority", SLA_PRIORITY_COLUMNS, _sla_part("by_priority"), _SCOPE
)
SLA_BY_TEAM = DatasetSpec("sla_by_team", "SLA by team", SLA_TEAM_COLUMNS, _sla_part("by_team"), _SCOPE)
SLA_DAILY = DatasetSpec("sla_daily", "SLA per day", SLA_DAILY_COLUMNS, _sla_daily, _SCOPE)
CSAT_DAILY = DatasetSpec("csat_daily", "CSAT per day", CSAT_DAILY_COLUMNS, _csat_daily, _SCOPE)
