"""CSV: one dataset is a plain CSV file; several are a zip of one CSV per dataset (`<dataset>.csv`).

UTF-8 without BOM, RFC 4180 quoting and CRLF line ends, a header row with the column names, ISO 8601 dates
and local times with their offset, true/false, and an empty field for null. The zip is written as a stream
(data descriptors, ZIP64) straight into the upload: nothing is staged on disk or held in memory.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from typing import IO, Any

from aurion.exports.datasets.spec import Dataset
from aurion.exports.writers import Stream, text_formatter

_CHUNK_ROWS = 1000


def write_dataset_csv(out: IO[bytes], dataset: Dataset) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(dataset.column_names)
    if dataset.copy is not None:
        # Row-level data: COPY writes the rows as this writer would (aurion.exports.sql_render).
        out.write(buffer.getvalue().encode("utf-8"))
        return dataset.copy.write_csv(out)
    # Only the columns whose values change in text (formula-safe text, true/false, ISO times): csv writes None
    # as an empty field and numbers as str() already, and this runs for every value of every row.
    formatters = [
        (index, text_formatter(column))
        for index, column in enumerate(dataset.columns)
        if column.kind in ("text", "bool", "date", "datetime")
    ]
    count = 0
    chunk: list[Sequence[Any]] = []
    for row in dataset.rows:
        if formatters:
            values = list(row)
            for index, fmt in formatters:
                if values[index] is not None:
                    values[index] = fmt(values[index])
            chunk.append(values)
        else:
            chunk.append(row)
        if len(chunk) == _CHUNK_ROWS:
            count += _flush(out, buffer, writer, chunk)
    count += _flush(out, buffer, writer, chunk)
    return count


def _flush(out: IO[bytes], buffer: io.StringIO, writer: Any, chunk: list[Sequence[Any]]) -> int:
    writer.writerows(chunk)
    out.write(buffer.getvalue().encode("utf-8"))
    buffer.seek(0)
    buffer.truncate()
    written = len(chunk)
    chunk.clear()
    return written


def write_csv(out: Stream, datasets: Sequence[Dataset]) -> int:
    if len(datasets) == 1:
        return write_dataset_csv(out, datasets[0])
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for dataset in datasets:
            # force_zip64: the entry's size is unknown until written, and may pass 2 GiB.
            with archive.open(f"{dataset.name}.csv", "w", force_zip64=True) as entry:
                count += write_dataset_csv(entry, dataset)
    return count
