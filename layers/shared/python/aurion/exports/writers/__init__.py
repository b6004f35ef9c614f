"""One writer per format. Each takes the export's datasets (rows still to be read) and a binary stream, writes
the file as the rows arrive, and returns the number of data rows it wrote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, BinaryIO

from aurion.exports.columns import Column

# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection); such text
# cells get a leading apostrophe, which Excel and LibreOffice show as plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Stream = BinaryIO


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def iso(value: Any) -> Any:
    """Dates and times as ISO 8601 (local time with its UTC offset); other values unchanged."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def text_formatter(column: Column) -> Callable[[Any], Any]:
    """How a value of the column is written in a text format (CSV): never None, never a live formula."""
    if column.kind == "text":
        # One call per text value, not two: this runs for most values of every exported row.
        return lambda value: "" if value is None else ("'" + value if value.startswith(FORMULA_START) else value)
    if column.kind == "bool":
        return lambda value: "" if value is None else ("true" if value else "false")
    if column.kind in ("date", "datetime"):
        return lambda value: "" if value is None else iso(value)
    return lambda value: "" if value is None else value
