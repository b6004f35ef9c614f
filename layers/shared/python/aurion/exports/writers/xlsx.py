"""Excel: an `About` sheet (what the file is), then one sheet per dataset, written with openpyxl's write-only mode.

Cells are typed: numbers are numbers, booleans booleans, days are Excel dates and times Excel date-times
(local time in the export's time zone, which the About sheet names: Excel has no time zones). A dataset longer
than a sheet's 1,048,576 rows continues on "<title> (2)", and so on. Text that Excel would run as a formula is
stored as a text cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from aurion.exports.columns import Column
from aurion.exports.datasets.spec import Dataset
from aurion.exports.writers import Stream

MAX_SHEET_ROWS = 1_048_576  # Excel's limit, header row included
_WIDTHS = {"datetime": 20, "date": 12, "text": 22, "int": 12, "float": 12, "bool": 10}
_BOLD = Font(bold=True)


def _cell_converter(series: _SheetSeries, column: Column) -> Callable[[Any], Any] | None:
    if column.kind == "datetime":
        return lambda value: value.replace(tzinfo=None) if isinstance(value, datetime) else value

    if column.kind == "text":

        def text(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(series.sheet, value=value)
                cell.data_type = "s"  # openpyxl would store it as a formula
                return cell
            return value

        return text
    return None


class _SheetSeries:
    """The sheets of one dataset: a new one each time Excel's row limit is reached."""

    def __init__(self, workbook: Workbook, dataset: Dataset) -> None:
        self._workbook = workbook
        self._dataset = dataset
        self._part = 0
        self.sheet: WriteOnlyWorksheet = self._new_sheet()
        self.rows = 1

    def _new_sheet(self) -> WriteOnlyWorksheet:
        self._part += 1
        suffix = f" ({self._part})" if self._part > 1 else ""
        sheet = self._workbook.create_sheet(title=self._dataset.title[: 31 - len(suffix)] + suffix)
        for index, column in enumerate(self._dataset.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column.kind, 14)
        sheet.freeze_panes = "A2"
        sheet.append([_header(sheet, name) for name in self._dataset.column_names])
        self.rows = 1
        return sheet

    def append(self, values: list[Any]) -> None:
        if self.rows >= MAX_SHEET_ROWS:
            self.sheet = self._new_sheet()
        self.sheet.append(values)
        self.rows += 1


def _header(sheet: WriteOnlyWorksheet, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=name)
    cell.font = _BOLD
    return cell


def write_xlsx(out: Stream, datasets: Sequence[Dataset], about: list[tuple[str, Any]]) -> int:
    workbook = Workbook(write_only=True)
    about_sheet = workbook.create_sheet(title="About")
    about_sheet.column_dimensions["A"].width = 18
    about_sheet.column_dimensions["B"].width = 60
    for label, value in about:
        about_sheet.append([_header(about_sheet, label), value])
    count = 0
    for dataset in datasets:
        series = _SheetSeries(workbook, dataset)
        converters = [_cell_converter(series, column) for column in dataset.columns]
        plain = all(convert is None for convert in converters)
        for row in dataset.rows:
            values = list(row) if plain else [v if f is None else f(v) for f, v in zip(converters, row, strict=True)]
            series.append(values)
            count += 1
    workbook.save(out)
    return count
