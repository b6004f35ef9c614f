"""CSV import files: each record becomes the event the live contract defines, then loads as an NDJSON line does.

The header names the columns: the envelope's fields (`type`, `tenant_id`, `event_id`, `occurred_at`, `version`,
`updated_at`) and the snapshot's fields prefixed with `data.` (`data.id`, `data.subject`, ...), in any order; a
file may hold any mix of types, each record naming its own in `type`. A cell holds the field's value as text:
numbers as digits, booleans as true/false, a list (tenant.v1's `data.products`) as a JSON array; an empty cell is
an absent field (its default, or null). A column the contract does not know rejects each record that fills it,
as an unknown JSON field does.

Records are numbered as a spreadsheet numbers its rows: the header is line 1, the first record line 2 (a quoted
cell holding a newline does not shift the numbering: a record is one line). A record that cannot be read as the
header says (another count of cells) is rejected with its number; a file that is not UTF-8, not CSV at all (a
NUL byte, a cell over the line limit) or whose header names a column twice fails as a damaged gzip does.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from aurion.ingest.bulk_lines import MAX_LINE_BYTES, FileUnreadable, Readable, Refused, raw_lines
from aurion.ingest.entities import BY_TYPE

# The first record's number: the header is line 1.
FIRST_LINE = 2
_DATA = "data."
_ENVELOPE_INTEGERS = frozenset({"version"})
_INTEGER = re.compile(r"^-?[0-9]+$")
_BOOLEANS = {"true": True, "false": False}

Cell = Callable[[str], Any]


def is_csv(file_name: str) -> bool:
    """A file is CSV by its name (`.csv`, `.csv.gz`); anything else is NDJSON."""
    return file_name.lower().removesuffix(".gz").endswith(".csv")


def file_lines(stream: Readable, file_name: str) -> tuple[Iterator[bytes], int]:
    """The file's lines as events (CSV records turned into them), and the number of the first."""
    if is_csv(file_name):
        return csv_lines(stream), FIRST_LINE
    return raw_lines(stream), 1


def csv_lines(stream: Readable) -> Iterator[bytes]:
    """Each record after the header as one event's JSON (or Refused, with why), in order, from line 2 on."""
    csv.field_size_limit(MAX_LINE_BYTES)
    reader = csv.reader(_text(stream), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [name.strip() for name in header]
        if header and header[0].startswith("\ufeff"):  # the byte order mark spreadsheets write
            columns[0] = columns[0].removeprefix("\ufeff").strip()
        twice = sorted({name for name in columns if name and columns.count(name) > 1})
        if twice:
            # Which of the two cells would be the field's value? Neither: the file is refused as a whole.
            raise FileUnreadable(f"the CSV header names {', '.join(twice)} more than once")
        for cells in reader:
            yield _event(columns, cells)
    except csv.Error as exc:
        raise FileUnreadable(f"the file cannot be read as CSV at line {reader.line_num}: {exc}") from exc


def _text(stream: Readable) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    for n, line in enumerate(raw_lines(stream), start=1):
        try:
            # The newline comes back: a quoted cell may hold one, and csv must see it to keep it.
            yield decoder.decode(line + b"\n")
        except UnicodeDecodeError:
            raise FileUnreadable(f"the file is not UTF-8 text (line {n}): CSV import files are UTF-8") from None


def _event(columns: list[str], cells: list[str]) -> bytes:
    if not any(cells):
        return b""  # a blank line, skipped as in NDJSON
    if len(cells) != len(columns):
        return Refused(f"the record has {len(cells)} cells, the header {len(columns)}")
    event: dict[str, Any] = {}
    data: dict[str, Any] = {}
    kinds = _cells(cells[columns.index("type")] if "type" in columns else "")
    for name, cell in zip(columns, cells, strict=True):
        if cell == "":
            continue
        if name.startswith(_DATA):
            field = name[len(_DATA) :]
            data[field] = kinds.get(field, str)(cell)
        else:
            event[name] = _integer(cell) if name in _ENVELOPE_INTEGERS else cell
    event["data"] = data
    return json.dumps(event, separators=(",", ":")).encode()


@cache
def _cells(event_type: str) -> dict[str, Cell]:
    """How each snapshot field of the type is read from its cell (text when the type is unknown: the contract
    then rejects the record for its type)."""
    entity = BY_TYPE.get(event_type)
    if entity is None:
        return {}
    readers: dict[str, Cell] = {}
    for name, sql in entity.columns:
        if sql == "bigint":
            readers[name] = _integer
        elif sql == "boolean":
            readers[name] = _boolean
        elif sql.endswith("[]"):
            readers[name] = _json
    return readers


# A cell that does not read as its type is passed on as text: the contract's reason then names the field
# ("data.rating: Input should be a valid integer"), as for a JSON line.
def _integer(cell: str) -> Any:
    return int(cell) if _INTEGER.match(cell) else cell


def _boolean(cell: str) -> Any:
    return _BOOLEANS.get(cell.strip().lower(), cell)


def _json(cell: str) -> Any:
    try:
        return json.loads(cell)
    except ValueError:
        return cell
