"""The figures of the PDF report: KPIs, the series behind its charts, and the tables of the export's scope.

Every figure is the API's (docs/metrics.md): the KPIs, the volume and the outcomes come from the same metric code,
over the export's period in its time zone. Detail tables hold the first rows only; the other formats hold every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from aurion.exports.columns import Column
from aurion.exports.datasets import build_datasets
from aurion.exports.datasets.quality import conversation_days, sla_summary_rows
from aurion.exports.datasets.records import preview_rows
from aurion.exports.datasets.voice import call_breakdown_rows
from aurion.exports.formats import SCOPE_LABELS
from aurion.exports.job import DatasetContext
from aurion.metrics.overview import overview_row
from aurion.metrics.voice_kpis import call_kpis
from aurion.rollups.csat import csat_rows

# Above this many days the volume chart shows weeks: 366 bars would be hairlines.
DAILY_CHART_MAX_DAYS = 62

# Detail tables show a readable subset of columns (a page is not a spreadsheet).
PDF_COLUMNS: dict[str, tuple[str, ...]] = {
    "calls": ("started_at", "phone_number_redacted", "direction", "duration_seconds", "outcome", "category"),
    "conversations": (
        "created_at", "channel", "priority", "status", "contact_email_masked", "assignee_name", "resolution_sla",
    ),
    "agent_performance": (
        "assignee_name", "assigned_count", "resolved_count", "resolution_rate", "avg_first_response_minutes",
        "avg_resolution_minutes",
    ),
    "team_performance": (
        "team_name", "assigned_count", "resolved_count", "resolution_rate", "avg_resolution_minutes",
    ),
    "sla_by_team": ("team_name", "tracked", "met", "breached", "compliance_rate"),
}  # fmt: skip


@dataclass
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: list[Sequence[Any]]
    note: str | None = None


@dataclass
class ReportData:
    title: str
    tenant_name: str
    scope_label: str
    period: str
    tz: str
    generated_at: str
    export_id: str
    kpis: list[tuple[str, list[tuple[str, str]]]]
    volume: list[tuple[str, int, int]]  # label, calls, conversations
    volume_unit: str  # day | week
    call_outcomes: list[tuple[str, int]]
    resolution_split: list[tuple[str, int]]
    sla: list[tuple[str, float, int]]  # label, compliance %, tracked
    tables: list[Table] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(table.rows) for table in self.tables)


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}{suffix}"
    return f"{value}{suffix}"


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _volume(ctx: DatasetContext) -> tuple[list[tuple[str, int, int]], str]:
    job = ctx.job
    # The calls per local day of call-metrics and the conversations per local day of the conversation facts.
    calls_on = {row["day"]: int(row["total_calls"]) for row in call_breakdown_rows(ctx, "BY_DAY")}
    conversations_on = {row["day"]: int(row["conversations"]) for row in conversation_days(ctx)}
    found = {day: (calls_on.get(day, 0), conversations_on.get(day, 0)) for day in {*calls_on, *conversations_on}}
    days = (job.end_date - job.start_date).days + 1
    series = [(day, *found.get(day, (0, 0))) for day in (job.start_date + timedelta(n) for n in range(days))]
    if days <= DAILY_CHART_MAX_DAYS:
        return [(day.isoformat(), calls, conversations) for day, calls, conversations in series], "day"
    weeks: dict[date, list[int]] = {}
    for day, calls, conversations in series:
        totals = weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])
        totals[0] += calls
        totals[1] += conversations
    return [(week.isoformat(), calls, conversations) for week, (calls, conversations) in weeks.items()], "week"


def _kpis(ctx: DatasetContext) -> tuple[list[tuple[str, list[tuple[str, str]]]], dict[str, Any], dict[str, Any]]:
    job = ctx.job
    calls = call_kpis(ctx.tx, job.tenant_id, job.window.start, job.window.end)
    overview = overview_row(ctx.tx, job.tenant_id, job.window)
    # The csat answer's overall row (aurion.metrics.csat): grouping sets of an empty range give it with null sums.
    csat = next(row for row in csat_rows(ctx.tx, job.tenant_id, job.window, job.window.start)
                if row["all_days"] and row["all_agents"])  # fmt: skip
    sla = sla_summary_rows(ctx)["summary"]
    sla_rates = {row[0]: row for row in sla}
    kpis = [
        (
            "Calls",
            [
                ("Total calls", _fmt(calls["total_calls"])),
                ("Completed / failed", f"{calls['completed_calls']} / {calls['failed_calls']}"),
                ("Average duration", _fmt(_num(calls["avg_duration_seconds"]), " s")),
                ("First-call resolution", _fmt(_num(calls["first_call_resolution_rate"]), " %")),
                ("Tickets created", _fmt(calls["tickets_created"])),
                ("Escalations", _fmt(calls["escalation_count"])),
            ],
        ),
        (
            "Conversations",
            [
                ("Total conversations", _fmt(overview["total_conversations"])),
                ("Resolved by AI", _fmt(_num(overview["ai_resolution_rate"]), " %")),
                ("Resolved by agents", _fmt(overview["human_resolved_count"])),
                ("Escalation rate", _fmt(_num(overview["escalation_rate"]), " %")),
                ("First response (avg)", _fmt(_num(overview["first_response_minutes_avg"]), " min")),
                ("Resolution (median)", _fmt(_num(overview["resolution_minutes_median"]), " min")),
            ],
        ),
        (
            "SLA and satisfaction",
            [
                ("First response SLA met", _fmt(_num(sla_rates["first_response"][4]), " %")),
                ("Resolution SLA met", _fmt(_num(sla_rates["resolution"][4]), " %")),
                ("CSAT responses", _fmt(csat["responses"] or 0)),
                ("CSAT average (1-5)", _fmt(_num(csat["avg_rating"]))),
                ("CSAT positive", _fmt(_num(csat["positive_rate"]), " %")),
            ],
        ),
    ]
    return kpis, calls, overview


def _sla_series(ctx: DatasetContext) -> list[tuple[str, float, int]]:
    parts = sla_summary_rows(ctx)
    series = [(f"{target.replace('_', ' ').capitalize()} (all)", float(rate), tracked)
              for target, tracked, _met, _breached, rate in parts["summary"]]  # fmt: skip
    series += [(f"Resolution: {priority}", float(rate), tracked)
               for priority, tracked, _met, _breached, rate in parts["by_priority"]]  # fmt: skip
    return series


def _scope_tables(ctx: DatasetContext, detail_rows: int, totals: dict[str, int]) -> list[Table]:
    tables = []
    for dataset in build_datasets(ctx):
        shown = PDF_COLUMNS.get(dataset.name)
        if dataset.name in ("calls", "conversations"):
            columns, rows = preview_rows(ctx, dataset.name, detail_rows)
            total = totals[dataset.name]
            note = (
                f"First {len(rows)} of {total} rows; the csv, json and xlsx formats hold every row."
                if total > len(rows)
                else None
            )
        else:
            columns, rows, note = dataset.columns, [tuple(row) for row in dataset.rows], None
        if shown:
            keep = [index for index, column in enumerate(columns) if column.name in shown]
            columns = tuple(columns[index] for index in keep)
            rows = [tuple(row[index] for index in keep) for row in rows]
        tables.append(Table(title=dataset.title, columns=tuple(columns), rows=list(rows), note=note))
    return tables


def report_data(ctx: DatasetContext, *, detail_rows: int, generated_at: datetime) -> ReportData:
    job = ctx.job
    kpis, calls, overview = _kpis(ctx)
    volume, unit = _volume(ctx)
    ctx.deadline.check()
    outcomes = [(row["outcome"], row["total_calls"]) for row in call_breakdown_rows(ctx, "BY_OUTCOME")]
    ai, human = overview["ai_resolved_count"], overview["human_resolved_count"]
    resolution = [
        ("Resolved by AI", ai),
        ("Resolved by agents", human),
        ("Unresolved", overview["total_conversations"] - ai - human),
    ]
    totals = {"calls": calls["total_calls"], "conversations": overview["total_conversations"]}
    return ReportData(
        title="Aurion Analytics report",
        tenant_name=job.tenant_name,
        scope_label=SCOPE_LABELS[job.options.scope],
        period=f"{job.start_date.isoformat()} to {job.end_date.isoformat()}",
        tz=job.tz,
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        export_id=job.export_id,
        kpis=kpis,
        volume=volume,
        volume_unit=unit,
        call_outcomes=outcomes,
        resolution_split=resolution,
        sla=_sla_series(ctx),
        tables=_scope_tables(ctx, detail_rows, totals),
    )
