"""The format writers on in-memory datasets: chunking, streaming to a stream that cannot seek, sheet overflow."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest

from aurion.exports.columns import Column
from aurion.exports.datasets import Dataset, dataset_names
from aurion.exports.formats import file_extension, object_key
from aurion.exports.options import ExportOptions
from aurion.exports.writers import xlsx as xlsx_writer
from aurion.exports.writers.csv import write_csv
from aurion.exports.writers.json import write_json
from aurion.exports.writers.xlsx import write_xlsx

COLUMNS = (Column("n", "int"), Column("label", "text"), Column("at", "datetime"), Column("ok", "bool"))


class ForwardOnly:
    """A stream like the S3 upload: write and tell, no seek, no read."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self._buffer.write(data)

    def tell(self) -> int:
        return self._buffer.tell()

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return self._buffer.getvalue()


def dataset(name: str, count: int) -> Dataset:
    rows = ((n, f"row {n}", datetime(2026, 3, 2, 9, 15, tzinfo=UTC), n % 2 == 0) for n in range(count))
    return Dataset(name, name.title(), COLUMNS, rows)


def test_csv_of_one_dataset_streams_every_row_across_chunks():
    out = ForwardOnly()
    assert write_csv(out, [dataset("calls", 2500)]) == 2500  # type: ignore[arg-type]
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert rows[0] == ["n", "label", "at", "ok"]
    assert rows[1] == ["0", "row 0", "2026-03-02T09:15:00+00:00", "true"]
    assert len(rows) == 2501


def test_csv_of_several_datasets_is_a_zip_written_without_seeking():
    out = ForwardOnly()
    assert write_csv(out, [dataset("calls", 1200), dataset("conversations", 3)]) == 1203  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["calls.csv", "conversations.csv"]
        assert len(archive.read("calls.csv").decode().splitlines()) == 1201


def test_csv_neutralises_formula_like_text_but_not_numbers():
    rows = [(-5, "=SUM(A1)", None, None), (1, "+33 call", None, True), (2, "@cmd", None, False)]
    out = ForwardOnly()
    write_csv(out, [Dataset("d", "D", COLUMNS, rows)])  # type: ignore[arg-type]
    lines = out.getvalue().decode().splitlines()
    assert lines[1:] == ["-5,'=SUM(A1),,", "1,'+33 call,,true", "2,'@cmd,,false"]


def test_json_is_valid_across_chunks_and_datasets():
    out = ForwardOnly()
    count = write_json(out, [dataset("calls", 2001), dataset("empty", 0), dataset("more", 1)], {"k": "v"})  # type: ignore[arg-type]
    document = json.loads(out.getvalue())
    assert count == 2002
    assert list(document) == ["export", "calls", "empty", "more"]
    assert len(document["calls"]) == 2001
    assert document["calls"][1] == {"n": 1, "label": "row 1", "at": "2026-03-02T09:15:00+00:00", "ok": False}
    assert document["empty"] == []


def test_xlsx_continues_a_dataset_on_a_new_sheet_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(xlsx_writer, "MAX_SHEET_ROWS", 3)  # header + 2 rows per sheet
    out = ForwardOnly()
    assert write_xlsx(out, [dataset("calls", 5)], [("Tenant", "Acme")]) == 5  # type: ignore[arg-type]
    workbook = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["About", "Calls", "Calls (2)", "Calls (3)"]
    assert [row[0] for row in workbook["Calls (3)"].iter_rows(values_only=True)] == ["n", 4]


def test_xlsx_cells_are_typed():
    out = ForwardOnly()
    rows = [(7, "x", datetime(2026, 3, 2, 10, 15, tzinfo=UTC), True)]
    columns = (*COLUMNS, Column("day", "date"))
    write_xlsx(out, [Dataset("d", "D", columns, [(*rows[0], date(2026, 3, 2))])], [])  # type: ignore[arg-type]
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["D"]
    n, label, at, ok, day = sheet[2]
    assert (n.data_type, n.value) == ("n", 7)
    assert (label.data_type, ok.value) == ("s", True)
    assert at.is_date
    assert at.value == datetime(2026, 3, 2, 10, 15)
    assert day.is_date
    assert day.number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(
    ("scope", "details", "conversations", "fmt", "names", "extension"),
    [
        ("voice", True, False, "csv", ("calls",), "csv"),
        ("voice", False, False, "csv", ("voice_daily",), "csv"),
        ("voice", True, True, "csv", ("calls", "conversations"), "zip"),
        ("conversations", True, True, "csv", ("conversations",), "csv"),
        ("all", True, False, "xlsx", ("calls", "conversations"), "xlsx"),
        ("performance", True, False, "csv", ("agent_performance", "team_performance"), "zip"),
        ("resolution_rates", True, False, "pdf", ("resolution_by_priority", "resolution_daily", "call_outcomes"),
         "pdf"),
    ],
)  # fmt: skip
def test_the_datasets_and_file_type_follow_from_the_request(scope, details, conversations, fmt, names, extension):
    options = ExportOptions(format=fmt, scope=scope, include_call_details=details, include_transcripts=False,
                            include_conversations=conversations)  # fmt: skip
    assert dataset_names(options) == names
    assert file_extension(options) == extension
    assert object_key("t", "e", options) == f"exports/t/e.{extension}"
