"""The hand-written xlsx (aurion.exports.writers.xlsx) opens in LibreOffice as well as in openpyxl.

LibreOffice converts the workbook to one CSV per sheet, as a person opening it would see the cells (the formats
applied); the test needs `soffice` (Debian: libreoffice-calc-nogui) and is skipped where it is not installed.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from aurion.exports.columns import Column
from aurion.exports.datasets import Dataset
from aurion.exports.writers.xlsx import write_xlsx

COLUMNS = (
    Column("n", "int"), Column("label", "text"), Column("at", "datetime"), Column("ok", "bool"),
    Column("day", "date"), Column("minutes", "float"),
)  # fmt: skip
ROWS = [
    (7, '=1+1 & <b> "q"', datetime(2026, 3, 2, 10, 15, tzinfo=UTC), True, date(2026, 3, 2), 10.5),
    (None, "é\x01ß, 中", None, False, None, None),  # \x01 cannot be in XML: dropped
]
# LibreOffice's filter options: comma-separated, quoted with ", UTF-8, formatted as shown, every sheet (-1).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    out = io.BytesIO()
    write_xlsx(out, [Dataset("d", "Data", COLUMNS, ROWS)], [("Tenant", "Acme"), ("Rows", 2)])  # type: ignore[arg-type]
    path = tmp_path / "export.xlsx"
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_every_sheet_with_its_typed_cells(workbook: Path, tmp_path: Path):
    # When LibreOffice converts the workbook (a profile of its own: HOME)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", CSV_FILTER, "--outdir", str(tmp_path), str(workbook)],
        check=True, capture_output=True, timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    # Then both sheets are there, the values typed and formatted (a formula-like text stays text)
    about = list(csv.reader((tmp_path / "export-About.csv").open(encoding="utf-8")))
    data = list(csv.reader((tmp_path / "export-Data.csv").open(encoding="utf-8")))
    assert about == [["Tenant", "Acme"], ["Rows", "2"]]
    assert data == [
        ["n", "label", "at", "ok", "day", "minutes"],
        ["7", '=1+1 & <b> "q"', "2026-03-02 10:15:00", "TRUE", "2026-03-02", "10.5"],
        ["", "éß, 中", "", "FALSE", "", ""],
    ]


def test_openpyxl_reads_the_same_cells(workbook: Path):
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["About", "Data"]
    sheet = book["Data"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    assert [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        (7, '=1+1 & <b> "q"', datetime(2026, 3, 2, 10, 15), True, datetime(2026, 3, 2), 10.5),
        (None, "éß, 中", None, False, None, None),
    ]
    assert sheet["B2"].data_type == "s"
