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
from typing import IO

from aurion.exports.datasets.spec import Dataset
from aurion.exports.writers import Stream, text_formatter

_CHUNK_ROWS = 1000


def write_dataset_csv(out: IO[bytes], dataset: Dataset) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(dataset.column_names)
    formatters = [text_formatter(column) for column in dataset.columns]
    count = 0
    for row in dataset.rows:
        writer.writerow([fmt(value) for fmt, value in zip(formatters, row, strict=True)])
        count += 1
        if count % _CHUNK_ROWS == 0:
            out.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8"))
    return count


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
