"""JSON: one object, `export` (what the file is) then one key per dataset holding its rows as objects.

    {"export": {"export_id": ..., "tenant": ..., "scope": ..., "start_date": ..., "end_date": ..., "tz": ...,
                "generated_at": ..., "datasets": ["calls"]},
     "calls": [{"call_id": ..., "started_at": "2026-03-02T10:15:00+01:00", ...}, ...]}

Numbers are numbers, booleans booleans, null is null; dates are YYYY-MM-DD and times ISO 8601 with the export
time zone's offset. Written as a stream, a chunk of rows at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aurion.exports.datasets.spec import Dataset
from aurion.exports.writers import Stream, iso

_CHUNK_ROWS = 1000


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _flush(out: Stream, chunk: list[str], written: int) -> int:
    if chunk:
        out.write(("," if written else "").encode() + ",".join(chunk).encode("utf-8"))
    return written + len(chunk)


def write_json(out: Stream, datasets: Sequence[Dataset], meta: dict[str, Any]) -> int:
    out.write(b'{"export":' + _dumps(meta).encode("utf-8"))
    count = 0
    for dataset in datasets:
        out.write(f",{_dumps(dataset.name)}:[".encode())
        if dataset.copy is not None:
            # Row-level data: COPY writes the objects as _dumps would (aurion.exports.sql_render).
            count += dataset.copy.write_json(out)
            out.write(b"]")
            continue
        names = dataset.column_names
        written = 0
        chunk: list[str] = []
        for row in dataset.rows:
            chunk.append(_dumps(dict(zip(names, map(iso, row), strict=True))))
            if len(chunk) == _CHUNK_ROWS:
                written = _flush(out, chunk, written)
                chunk = []
        written = _flush(out, chunk, written)
        out.write(b"]")
        count += written
    out.write(b"}")
    return count
