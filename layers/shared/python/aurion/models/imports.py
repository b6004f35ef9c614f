"""Import status (v1), admin roles only: what the bulk path did with each file of an import.

An extension of the spec (docs/ingestion.md, "Bulk path"), in the exports routes' style: snake_case fields, UTC
times as ISO strings with Z, a list wrapped in an object. Counts are lines: read (non-blank lines), applied
(rows written), unchanged (a duplicate or an older version than the row's), rejected (with line and reason).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aurion.models.base import SpecModel

ImportStatus = Literal["loading", "completed", "completed_with_rejects", "failed"]
FileStatus = Literal["loading", "completed", "failed"]


class ImportReject(SpecModel):
    file_name: str
    line: int = Field(description="1-based line number in the file")
    reason: str = Field(description="What is wrong, field by field; never the line's content")


class ImportFileStatus(SpecModel):
    file_name: str = Field(description="The object's key below imports/<tenant_id>/<import_id>/")
    status: FileStatus
    rows_read: int
    rows_applied: int
    rows_unchanged: int
    rows_rejected: int
    error: str | None = Field(description="Why the file failed as a whole (unreadable), else null")
    started_at: str
    updated_at: str
    finished_at: str | None


class ImportSummary(SpecModel):
    import_id: str
    status: ImportStatus = Field(
        description="loading while a file is; failed if a file failed; completed_with_rejects if a line was rejected"
    )
    files: int
    rows_read: int
    rows_applied: int
    rows_unchanged: int
    rows_rejected: int
    started_at: str
    updated_at: str


class ImportList(SpecModel):
    imports: list[ImportSummary]


class ImportDetail(ImportSummary):
    file_statuses: list[ImportFileStatus]
    rejects: list[ImportReject] = Field(description="The first rejected lines, in file and line order")
