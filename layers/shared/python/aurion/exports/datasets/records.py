"""The row-level datasets: every call and every conversation of the period, one row each.

Every `day` column is the local calendar day in the export's zone. Transcripts are only read at all when the
export asks for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aurion.exports.columns import Column
from aurion.exports.datasets.spec import DatasetSpec
from aurion.exports.job import DatasetContext
from aurion.exports.options import ExportOptions
from aurion.exports.pii import row_converter
from aurion.exports.sql_render import FormulaFree, outcomes
from aurion.exports.streaming import LOCAL_DAY, CopyRows, RowQuery, cursor_rows, first_rows
from aurion.facts.sla_outcomes import FIRST_RESPONSE_MET, RESOLUTION_MET

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

# One SQL source per column (datetimes as timestamptz, floats as numeric: aurion.exports.sql_render
# renders each for the file).
# Formula-free, so without the formula guard or JSON escaping: a UUID's text (hex digits and dashes, never '' or
# a leading '-'), and the columns whose CHECK constraint admits only a few words
# (tests/integration/test_export_formula_free.py proves the database refuses '', every formula start and every
# character JSON escapes in each).
CALLS_SELECT = (
    FormulaFree("c.id::text"), "c.started_at", LOCAL_DAY("c.started_at"), "c.ended_at", FormulaFree("c.direction"),
    "c.phone_number", "c.duration_seconds", FormulaFree("c.status"), FormulaFree("c.outcome"), "c.category",
    "c.first_call_resolution",
    "c.resolution_seconds", FormulaFree("c.conversation_id::text"),
)  # fmt: skip
CALLS_BODY = """
FROM calls c
WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.started_at >= :start AND c.started_at < :end
"""


def call_columns(options: ExportOptions) -> tuple[Column, ...]:
    return (*CALL_COLUMNS, TRANSCRIPT_COLUMN) if options.include_transcripts else CALL_COLUMNS


def calls_query(options: ExportOptions) -> RowQuery:
    # Transcripts are not even read unless the export asks for them.
    select = (*CALLS_SELECT, "c.transcript") if options.include_transcripts else CALLS_SELECT
    return RowQuery(call_columns(options), select, CALLS_BODY, "c.started_at, c.id")


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


# SLA outcome per conversation and target, with the API's rule (aurion.facts.sla_outcomes): met, breached or null.
def _sla_outcome(met: str) -> str:
    return outcomes(f"CASE ({met}) WHEN true THEN 'met' WHEN false THEN 'breached' END", ("met", "breached"))


CONVERSATIONS_SELECT = (
    FormulaFree("c.id::text"), "c.created_at", LOCAL_DAY("c.created_at"), FormulaFree("c.channel"),
    FormulaFree("c.priority"), FormulaFree("c.status"), "c.subject", "c.topic", "ct.email", "ct.phone", "u.name",
    "t.name", "c.first_response_at", "c.resolved_at", FormulaFree("c.resolved_by"), "c.escalated",
    "aurion_round1(extract(epoch FROM c.first_response_at - c.created_at) / 60)",
    "aurion_round1(extract(epoch FROM c.resolved_at - c.created_at) / 60)",
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
CONVERSATIONS_QUERY = RowQuery(CONVERSATION_COLUMNS, CONVERSATIONS_SELECT, CONVERSATIONS_BODY, "c.created_at, c.id")


def _calls(ctx: DatasetContext) -> Iterator[list[Any]]:
    return cursor_rows(ctx, calls_query(ctx.job.options))


def _conversations(ctx: DatasetContext) -> Iterator[list[Any]]:
    return cursor_rows(ctx, CONVERSATIONS_QUERY)


def _calls_copy(ctx: DatasetContext) -> CopyRows:
    return CopyRows(ctx, calls_query(ctx.job.options))


def _conversations_copy(ctx: DatasetContext) -> CopyRows:
    return CopyRows(ctx, CONVERSATIONS_QUERY)


CALLS = DatasetSpec(
    "calls", "Calls", call_columns, _calls, scopes=("voice", "all"), when=lambda options: options.include_call_details,
    copy=_calls_copy,
)  # fmt: skip
CONVERSATIONS = DatasetSpec(
    "conversations", "Conversations", CONVERSATION_COLUMNS, _conversations, scopes=("conversations", "all"),
    added_by=lambda options: options.include_conversations, copy=_conversations_copy,
)  # fmt: skip


def preview_rows(ctx: DatasetContext, name: str, limit: int) -> tuple[tuple[Column, ...], list[tuple[Any, ...]]]:
    """The first `limit` rows of a row-level dataset (the PDF report's detail tables)."""
    options = ctx.job.options
    columns, query = (
        (call_columns(options), calls_query(options))
        if name == "calls"
        else (CONVERSATION_COLUMNS, CONVERSATIONS_QUERY)
    )
    convert = row_converter(columns, ctx.job.zone)
    return columns, [convert(row) for row in first_rows(ctx, query, limit)]
