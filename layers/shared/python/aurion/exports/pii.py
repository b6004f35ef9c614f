"""How each exported value is made safe to hand out and typed for the writers.

Personal data never leaves unredacted: phone numbers keep their last 4 digits, emails are masked, free text
(subjects, transcripts) has phone numbers and emails redacted (aurion.redaction); instants are shown in the
export's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aurion.exports.columns import Column
from aurion.metrics.common import num
from aurion.redaction import mask_email, redact_phone, redact_text


def _converter(column: Column, zone: ZoneInfo) -> Callable[[Any], Any] | None:
    if column.pii == "phone":
        return lambda value: redact_phone(value) if value else None
    if column.pii == "email":
        return lambda value: mask_email(value) if value else None
    if column.pii == "text":
        # redact_text skips, cheaply, text that cannot hold a number or an email (in any script or width).
        return lambda value: redact_text(value) if value else value
    if column.kind == "datetime":
        # Row-level queries send instants as epoch seconds (aurion.exports.sql_render.typed), cheaper to decode
        # than timestamptz text; aggregates may still send datetimes.
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


def row_converter(columns: Sequence[Column], zone: ZoneInfo) -> Callable[[Iterable[Any]], tuple[Any, ...]]:
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
