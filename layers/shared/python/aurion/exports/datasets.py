"""The datasets of an export: per dataset its SQL, its columns and how each value is made safe to hand out.

Row-level datasets (calls, conversations) are read through a server-side cursor, a few thousand rows per
FETCH, and handed to the writer one row at a time: memory does not grow with the export. Summary datasets are
aggregates (a few hundred rows at most) and reuse the metric code of the API where the definition is the same.

The export's period is [start_date 00:00, end_date + 1 day 00:00) in the export's time zone, and every `day`
column is the local calendar day in that zone. Personal data never leaves unredacted: phone numbers keep their
last 4 digits, emails are masked, free text (subjects, transcripts) has phone numbers and emails redacted, and
transcripts are only read at all when the export asks for them.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aurion import clock
from aurion.db import Transaction
from aurion.exports.formats import ExportOptions, dataset_names
from aurion.metrics.breakdown import Breakdown, conversation_breakdown
from aurion.metrics.common import PRIORITY_ORDER, num, range_params
from aurion.metrics.resolution import RESOLUTION_AGGREGATES, RESOLUTION_SQL
from aurion.metrics.sla import FIRST_RESPONSE_MET, RESOLUTION_MET, sla_model, sla_rows
from aurion.metrics.voice_kpis import KPI_AGGREGATES
from aurion.params import DateRange
from aurion.redaction import mask_email, redact_phone, redact_text


class ExportTimeout(Exception):
    """The worker is about to run out of time: stop cleanly rather than be killed mid-upload."""


class Deadline:
    def __init__(self, remaining_ms: Callable[[], int] | None = None, margin_seconds: int = 0) -> None:
        self._remaining_ms = remaining_ms
        self._margin_ms = margin_seconds * 1000

    def check(self) -> None:
        if self._remaining_ms is not None and self._remaining_ms() < self._margin_ms:
            raise ExportTimeout("The export did not finish in time; try a shorter period or the csv format")

    @classmethod
    def unlimited(cls) -> Deadline:
        return cls()


@dataclass(frozen=True)
class ExportJob:
    """What the worker knows about the export it produces."""

    export_id: str
    tenant_id: str
    tenant_name: str
    options: ExportOptions
    start_date: date
    end_date: date
    tz: str
    created_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.start_date, time.min, tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after end_date, local time."""
        return datetime.combine(self.end_date + timedelta(days=1), time.min, tzinfo=self.zone).astimezone(UTC)

    @property
    def window(self) -> DateRange:
        # The metric code takes a closed range; timestamptz has microsecond resolution.
        return DateRange(start=self.start, end=self.end - timedelta(microseconds=1))

    def params(self) -> dict[str, Any]:
        # now: when the SLA outcomes judge "past due" (aurion.metrics.sla_outcomes).
        return {"tenant_id": self.tenant_id, "start": self.start, "end": self.end, "tz": self.tz, "now": clock.now()}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | int | float | bool | date | datetime
    pii: str | None = None  # phone | email | text: how the raw value is redacted before it is written


@dataclass
class Dataset:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[Any]]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


@dataclass(frozen=True)
class DatasetContext:
    tx: Transaction
    job: ExportJob
    deadline: Deadline
    fetch_rows: int = 2000
    # Aggregates shared by several datasets (the SLA query feeds three), computed once per export.
    cache: dict[str, Any] = field(default_factory=dict)


# -- values --

_MAY_HOLD_PII = re.compile(r"[0-9@]")


def _converter(column: Column, zone: ZoneInfo) -> Callable[[Any], Any] | None:
    if column.pii == "phone":
        return lambda value: redact_phone(value) if value else None
    if column.pii == "email":
        return lambda value: mask_email(value) if value else None
    if column.pii == "text":
        # Text without a digit or an @ holds no phone number and no email: skip the regex work for it.
        return lambda value: redact_text(value) if value and _MAY_HOLD_PII.search(value) else value
    if column.kind == "datetime":
        # Row-level queries send instants as epoch seconds (EPOCH below), cheaper to decode than timestamptz
        # text; aggregates may still send datetimes.
        return lambda value: (
            None if value is None
            else datetime.fromtimestamp(value, zone) if isinstance(value, (int, float))
            else value.astimezone(zone)
        )  # fmt: skip
    if column.kind == "float":
        return num
    if column.kind == "date":
        # Row-level SQL sends days as YYYY-MM-DD text (cheaper to parse than PostgreSQL's date); aggregates dates.
        return lambda value: date.fromisoformat(value) if isinstance(value, str) else value
    return None


def _row_converter(columns: Sequence[Column], zone: ZoneInfo) -> Callable[[Iterable[Any]], tuple[Any, ...]]:
    # Only the columns that need it are touched: this runs once per exported row.
    converters = [(index, convert) for index, column in enumerate(columns) if (convert := _converter(column, zone))]
    width = len(columns)

    def convert_row(values: Iterable[Any]) -> tuple[Any, ...]:
        row = list(values)
        if len(row) != width:
            raise ValueError(f"expected {width} columns, got {len(row)}")
        for index, convert in converters:
            row[index] = convert(row[index])
        return tuple(row)

    return convert_row


_cursor_ids = itertools.count(1)


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


def _cursor_rows(ctx: DatasetContext, query: RowQuery, columns: Sequence[Column]) -> Iterator[tuple[Any, ...]]:
    """Rows of the query through a server-side cursor, fetch_rows at a time (only one batch is in memory)."""
    convert = _row_converter(columns, ctx.job.zone)
    name = f"export_rows_{next(_cursor_ids)}"
    ctx.tx.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {query.sql()}", **ctx.job.params())
    while True:
        ctx.deadline.check()
        batch = ctx.tx.all(f"FETCH FORWARD {int(ctx.fetch_rows)} FROM {name}")
        if not batch:
            break
        for record in batch:
            yield convert(json.loads(record["row"]))
    # An abandoned cursor (an error mid-export) closes with its transaction.
    ctx.tx.execute(f"CLOSE {name}")


def _lazy(produce: Callable[[], Iterable[Sequence[Any]]], columns: Sequence[Column], zone: ZoneInfo) -> Iterator:
    """Aggregate rows, computed only when the writer reaches the dataset."""
    convert = _row_converter(columns, zone)
    for row in produce():
        yield convert(row)


# -- row-level datasets --


def EPOCH(expression: str) -> str:  # reads like the SQL it writes
    return f"date_part('epoch', {expression})"


CALL_COLUMNS = (
    Column("call_id", "text"),
    Column("started_at", "datetime"),
    Column("day", "date"),
    Column("ended_at", "datetime"),
    Column("direction", "text"),
    Column("phone_number_redacted", "text", pii="phone"),
    Column("duration_seconds", "int"),
    Column("status", "text"),
    Column("outcome", "text"),
    Column("category", "text"),
    Column("first_call_resolution", "bool"),
    Column("resolution_seconds", "int"),
    Column("conversation_id", "text"),
)
TRANSCRIPT_COLUMN = Column("transcript_redacted", "text", pii="text")

_LOCAL_DAY = "to_char({} AT TIME ZONE :tz, 'YYYY-MM-DD')"

CALLS_SELECT = (
    "c.id::text", EPOCH("c.started_at"), _LOCAL_DAY.format("c.started_at"), EPOCH("c.ended_at"), "c.direction",
    "c.phone_number", "c.duration_seconds", "c.status", "c.outcome", "c.category", "c.first_call_resolution",
    "c.resolution_seconds", "c.conversation_id::text",
)  # fmt: skip
CALLS_BODY = """
FROM calls c
WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.started_at >= :start AND c.started_at < :end
"""

CONVERSATION_COLUMNS = (
    Column("conversation_id", "text"),
    Column("created_at", "datetime"),
    Column("day", "date"),
    Column("channel", "text"),
    Column("priority", "text"),
    Column("status", "text"),
    Column("subject_redacted", "text", pii="text"),
    Column("topic", "text"),
    Column("contact_email_masked", "text", pii="email"),
    Column("contact_phone_redacted", "text", pii="phone"),
    Column("assignee_name", "text"),
    Column("team_name", "text"),
    Column("first_response_at", "datetime"),
    Column("resolved_at", "datetime"),
    Column("resolved_by", "text"),
    Column("escalated", "bool"),
    Column("first_response_minutes", "float"),
    Column("resolution_minutes", "float"),
    Column("first_response_sla", "text"),
    Column("resolution_sla", "text"),
    Column("csat_rating", "int"),
)


# SLA outcome per conversation and target, with the API's rule (aurion.metrics.sla): met, breached or null.
def _sla_outcome(met: str) -> str:
    return f"CASE ({met}) WHEN true THEN 'met' WHEN false THEN 'breached' END"


CONVERSATIONS_SELECT = (
    "c.id::text", EPOCH("c.created_at"), _LOCAL_DAY.format("c.created_at"), "c.channel", "c.priority", "c.status",
    "c.subject", "c.topic", "ct.email", "ct.phone", "u.name", "t.name", EPOCH("c.first_response_at"),
    EPOCH("c.resolved_at"), "c.resolved_by", "c.escalated",
    "aurion_round1(extract(epoch FROM c.first_response_at - c.created_at) / 60)::float8",
    "aurion_round1(extract(epoch FROM c.resolved_at - c.created_at) / 60)::float8",
    _sla_outcome(FIRST_RESPONSE_MET), _sla_outcome(RESOLUTION_MET), "s.csat_rating",
)  # fmt: skip
CONVERSATIONS_BODY = """
FROM conversations c
LEFT JOIN contacts ct ON ct.id = c.contact_id
LEFT JOIN users u ON u.id = c.assignee_user_id
LEFT JOIN teams t ON t.id = c.team_id
-- The latest rating of each conversation (a response comes after the conversation was opened).
LEFT JOIN (SELECT conversation_id, (array_agg(rating ORDER BY responded_at DESC))[1] AS csat_rating
             FROM csat_surveys
            WHERE tenant_id = CAST(:tenant_id AS uuid) AND rating IS NOT NULL AND responded_at >= :start
            GROUP BY conversation_id) s ON s.conversation_id = c.id
WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.created_at >= :start AND c.created_at < :end
"""
CONVERSATIONS_QUERY = RowQuery(CONVERSATIONS_SELECT, CONVERSATIONS_BODY, "c.created_at, c.id")


def call_columns(job: ExportJob) -> tuple[Column, ...]:
    return (*CALL_COLUMNS, TRANSCRIPT_COLUMN) if job.options.include_transcripts else CALL_COLUMNS


def calls_query(job: ExportJob) -> RowQuery:
    # Transcripts are not even read unless the export asks for them.
    select = (*CALLS_SELECT, "c.transcript") if job.options.include_transcripts else CALLS_SELECT
    return RowQuery(select, CALLS_BODY, "c.started_at, c.id")


def _calls(ctx: DatasetContext) -> Dataset:
    columns = call_columns(ctx.job)
    return Dataset("calls", "Calls", columns, _cursor_rows(ctx, calls_query(ctx.job), columns))


def _conversations(ctx: DatasetContext) -> Dataset:
    rows = _cursor_rows(ctx, CONVERSATIONS_QUERY, CONVERSATION_COLUMNS)
    return Dataset("conversations", "Conversations", CONVERSATION_COLUMNS, rows)


def preview_rows(ctx: DatasetContext, name: str, limit: int) -> tuple[tuple[Column, ...], list[tuple[Any, ...]]]:
    """The first `limit` rows of a row-level dataset (the PDF report's detail tables)."""
    if name == "calls":
        columns, query = call_columns(ctx.job), calls_query(ctx.job)
    else:
        columns, query = CONVERSATION_COLUMNS, CONVERSATIONS_QUERY
    rows = ctx.tx.all(f"{query.sql()} LIMIT :limit", limit=limit, **ctx.job.params())
    convert = _row_converter(columns, ctx.job.zone)
    return columns, [convert(json.loads(row["row"])) for row in rows]


# -- summary datasets --

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

# The call KPIs of aurion.metrics.voice_kpis, per local day (days without calls are left out).
VOICE_DAILY_SQL = f"""
SELECT (started_at AT TIME ZONE :tz)::date AS day, {KPI_AGGREGATES}
FROM calls
WHERE tenant_id = CAST(:tenant_id AS uuid) AND started_at >= :start AND started_at < :end
GROUP BY 1
ORDER BY 1
"""

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

SLA_DAILY_SQL = f"""
WITH outcomes AS (
    SELECT (created_at AT TIME ZONE :tz)::date AS day, {FIRST_RESPONSE_MET} AS fr, {RESOLUTION_MET} AS res
    FROM conversations
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at >= :start AND created_at < :end
)
SELECT day,
       count(*) FILTER (WHERE fr) AS fr_met,
       count(*) FILTER (WHERE NOT fr) AS fr_breached,
       aurion_pct(count(*) FILTER (WHERE fr), count(fr)) AS fr_rate,
       count(*) FILTER (WHERE res) AS res_met,
       count(*) FILTER (WHERE NOT res) AS res_breached,
       aurion_pct(count(*) FILTER (WHERE res), count(res)) AS res_rate
FROM outcomes
GROUP BY day
HAVING count(fr) + count(res) > 0
ORDER BY day
"""

CSAT_DAILY_COLUMNS = (
    Column("day", "date"),
    Column("responses", "int"),
    Column("rated_responses", "int"),
    Column("avg_rating", "float"),
    Column("positive_rate", "float"),
)

# CSAT as in docs/metrics.md: responses placed by responded_at; positive = 4 or 5, over rated responses.
CSAT_DAILY_SQL = """
SELECT (responded_at AT TIME ZONE :tz)::date AS day,
       count(*) AS responses,
       count(rating) AS rated_responses,
       aurion_round1(avg(rating)) AS avg_rating,
       aurion_pct(count(*) FILTER (WHERE rating >= 4), count(rating)) AS positive_rate
FROM csat_surveys
WHERE tenant_id = CAST(:tenant_id AS uuid) AND responded_at >= :start AND responded_at < :end
GROUP BY 1
ORDER BY 1
"""

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

RESOLUTION_DAILY_SQL = f"""
SELECT (created_at AT TIME ZONE :tz)::date AS day, {RESOLUTION_AGGREGATES}
FROM conversations
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at >= :start AND created_at < :end
GROUP BY 1
ORDER BY 1
"""

CALL_OUTCOME_COLUMNS = (Column("outcome", "text"), Column("calls", "int"), Column("share_rate", "float"))

CALL_OUTCOMES_SQL = """
SELECT outcome, count(*) AS calls, aurion_pct(count(*), sum(count(*)) OVER ()) AS share_rate
FROM calls
WHERE tenant_id = CAST(:tenant_id AS uuid) AND started_at >= :start AND started_at < :end
GROUP BY outcome
ORDER BY calls DESC, outcome
"""

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


def _query(ctx: DatasetContext, sql: str) -> Callable[[], Iterable[Sequence[Any]]]:
    def produce() -> Iterable[Sequence[Any]]:
        ctx.deadline.check()
        return [tuple(row.values()) for row in ctx.tx.all(sql, **ctx.job.params())]

    return produce


def _summary(ctx: DatasetContext, name: str, title: str, columns: tuple[Column, ...], produce: Callable) -> Dataset:
    return Dataset(name, title, columns, _lazy(produce, columns, ctx.job.zone))


def _bucket(bucket: Any) -> tuple[Any, ...]:
    return (bucket.tracked, bucket.met, bucket.breached, bucket.compliance_rate)


def sla_summary_rows(ctx: DatasetContext) -> dict[str, list[tuple[Any, ...]]]:
    if "sla" in ctx.cache:
        return ctx.cache["sla"]
    model = sla_model(sla_rows(ctx.tx, ctx.job.tenant_id, ctx.job.window))
    ctx.cache["sla"] = {
        "summary": [("first_response", *_bucket(model.first_response)), ("resolution", *_bucket(model.resolution))],
        "by_priority": [(item.priority, *_bucket(item)) for item in model.by_priority],
        "by_team": [(item.team_id, item.team_name, *_bucket(item)) for item in model.by_team],
    }
    return ctx.cache["sla"]


def resolution_rows(ctx: DatasetContext) -> list[tuple[Any, ...]]:
    rows = ctx.tx.all(
        RESOLUTION_SQL.format(filters="", priority_order=PRIORITY_ORDER, columns=RESOLUTION_AGGREGATES),
        **range_params(ctx.job.tenant_id, ctx.job.window),
    )
    return [
        (
            row["priority"] or "all",
            row["total"],
            row["resolved"],
            row["ai_resolved"],
            row["human_resolved"],
            row["resolution_rate"],
            row["ai_resolution_rate"],
            row["human_resolution_rate"],
        )
        for row in rows
    ]


def _breakdown(ctx: DatasetContext) -> Breakdown:
    # The insights view's per-agent and per-team blocks, one scan for both datasets.
    if "breakdown" not in ctx.cache:
        ctx.cache["breakdown"] = conversation_breakdown(ctx.tx, ctx.job.tenant_id, ctx.job.window)
    breakdown: Breakdown = ctx.cache["breakdown"]
    return breakdown


def agent_rows(ctx: DatasetContext) -> list[tuple[Any, ...]]:
    return [
        (
            item.assignee_user_id,
            item.assignee_name,
            item.assigned_count,
            item.resolved_count,
            item.resolution_rate,
            item.avg_first_response_minutes,
            item.avg_resolution_minutes,
        )
        for item in _breakdown(ctx).agents
    ]


def team_rows(ctx: DatasetContext) -> list[tuple[Any, ...]]:
    return [
        (
            item.team_id,
            item.team_name,
            item.assigned_count,
            item.resolved_count,
            item.resolution_rate,
            item.avg_resolution_minutes,
        )
        for item in _breakdown(ctx).teams
    ]


def _sla_part(ctx: DatasetContext, part: str) -> Callable[[], Iterable[Sequence[Any]]]:
    def produce() -> Iterable[Sequence[Any]]:
        ctx.deadline.check()
        return sla_summary_rows(ctx)[part]

    return produce


def _checked(ctx: DatasetContext, produce: Callable[[DatasetContext], list]) -> Callable[[], Iterable]:
    def run() -> Iterable[Sequence[Any]]:
        ctx.deadline.check()
        return produce(ctx)

    return run


_BUILDERS: dict[str, Callable[[DatasetContext], Dataset]] = {
    "calls": _calls,
    "conversations": _conversations,
    "voice_daily": lambda ctx: _summary(
        ctx, "voice_daily", "Calls per day", VOICE_DAILY_COLUMNS, _query(ctx, VOICE_DAILY_SQL)
    ),
    "sla_summary": lambda ctx: _summary(
        ctx, "sla_summary", "SLA compliance", SLA_SUMMARY_COLUMNS, _sla_part(ctx, "summary")
    ),
    "sla_by_priority": lambda ctx: _summary(
        ctx, "sla_by_priority", "SLA by priority", SLA_PRIORITY_COLUMNS, _sla_part(ctx, "by_priority")
    ),
    "sla_by_team": lambda ctx: _summary(ctx, "sla_by_team", "SLA by team", SLA_TEAM_COLUMNS, _sla_part(ctx, "by_team")),
    "sla_daily": lambda ctx: _summary(ctx, "sla_daily", "SLA per day", SLA_DAILY_COLUMNS, _query(ctx, SLA_DAILY_SQL)),
    "csat_daily": lambda ctx: _summary(
        ctx, "csat_daily", "CSAT per day", CSAT_DAILY_COLUMNS, _query(ctx, CSAT_DAILY_SQL)
    ),
    "resolution_by_priority": lambda ctx: _summary(
        ctx,
        "resolution_by_priority",
        "Resolution by priority",
        RESOLUTION_PRIORITY_COLUMNS,
        _checked(ctx, resolution_rows),
    ),
    "resolution_daily": lambda ctx: _summary(
        ctx, "resolution_daily", "Resolution per day", RESOLUTION_DAILY_COLUMNS, _query(ctx, RESOLUTION_DAILY_SQL)
    ),
    "call_outcomes": lambda ctx: _summary(
        ctx, "call_outcomes", "Call outcomes", CALL_OUTCOME_COLUMNS, _query(ctx, CALL_OUTCOMES_SQL)
    ),
    "agent_performance": lambda ctx: _summary(
        ctx, "agent_performance", "Agent performance", AGENT_COLUMNS, _checked(ctx, agent_rows)
    ),
    "team_performance": lambda ctx: _summary(
        ctx, "team_performance", "Team performance", TEAM_COLUMNS, _checked(ctx, team_rows)
    ),
}


def build_datasets(ctx: DatasetContext) -> list[Dataset]:
    """The export's datasets, in file order; no query runs until a writer iterates a dataset's rows."""
    return [_BUILDERS[name](ctx) for name in dataset_names(ctx.job.options)]
