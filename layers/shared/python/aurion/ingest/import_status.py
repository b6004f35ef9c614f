"""An import's status for its tenant's admins (GET /api/v1/analytics/imports[/{import_id}]).

Read in a tenant transaction as the API's role: row-level security keeps another tenant's import out of sight,
so asking for it is a 404 like an unknown id.
"""

from __future__ import annotations

import uuid
from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.auth.roles import EXPORT_ROLES
from aurion.errors import NotFound
from aurion.models.imports import ImportDetail, ImportFileStatus, ImportList, ImportReject, ImportSummary
from aurion.timefmt import iso_z

LIST_LIMIT = 50
REJECTS_SHOWN = 100

_SUMMARY_SQL = """
SELECT import_id::text, count(*) AS files, sum(rows_read) AS rows_read, sum(rows_applied) AS rows_applied,
       sum(rows_unchanged) AS rows_unchanged, sum(rows_rejected) AS rows_rejected,
       bool_or(status = 'loading') AS loading, bool_or(status = 'failed') AS failed,
       min(started_at) AS started_at, max(updated_at) AS updated_at
FROM import_files
WHERE tenant_id = CAST(:tenant_id AS uuid) {where}
GROUP BY import_id
ORDER BY min(started_at) DESC, import_id
LIMIT :limit
"""


def list_imports(caller: Caller) -> ImportList:
    """The tenant's latest imports, newest first."""
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        rows = scope.tx.all(_SUMMARY_SQL.format(where=""), tenant_id=scope.tenant.id, limit=LIST_LIMIT)
    return ImportList(imports=[_summary(row) for row in rows])


def get_import(caller: Caller, import_id: str) -> ImportDetail:
    try:
        wanted = str(uuid.UUID(import_id))
    except ValueError:
        raise NotFound("Import not found") from None
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        where = "AND import_id = CAST(:import_id AS uuid)"
        row = scope.tx.one(_SUMMARY_SQL.format(where=where), tenant_id=scope.tenant.id, import_id=wanted, limit=1)
        if row is None:
            raise NotFound("Import not found")
        files = scope.tx.all(
            "SELECT file_name, status, rows_read, rows_applied, rows_unchanged, rows_rejected, error, started_at, "
            "updated_at, finished_at FROM import_files WHERE tenant_id = CAST(:tenant_id AS uuid) "
            "AND import_id = CAST(:import_id AS uuid) ORDER BY file_name",
            tenant_id=scope.tenant.id,
            import_id=wanted,
        )
        rejects = scope.tx.all(
            "SELECT file_name, line, reason FROM import_rejects WHERE tenant_id = CAST(:tenant_id AS uuid) "
            "AND import_id = CAST(:import_id AS uuid) ORDER BY file_name, line LIMIT :limit",
            tenant_id=scope.tenant.id,
            import_id=wanted,
            limit=REJECTS_SHOWN,
        )
    summary = _summary(row)
    return ImportDetail(
        **summary.model_dump(),
        file_statuses=[_file(f) for f in files],
        rejects=[ImportReject(file_name=r["file_name"], line=int(r["line"]), reason=r["reason"]) for r in rejects],
    )


_COUNTS = ("rows_read", "rows_applied", "rows_unchanged", "rows_rejected")


def _summary(row: dict[str, Any]) -> ImportSummary:
    status = "loading" if row["loading"] else "failed" if row["failed"] else "completed"
    if status == "completed" and row["rows_rejected"]:
        status = "completed_with_rejects"
    return ImportSummary.model_validate(
        {
            "import_id": row["import_id"],
            "status": status,
            "files": int(row["files"]),
            **{name: int(row[name]) for name in _COUNTS},
            "started_at": iso_z(row["started_at"]),
            "updated_at": iso_z(row["updated_at"]),
        }
    )


def _file(row: dict[str, Any]) -> ImportFileStatus:
    return ImportFileStatus.model_validate(
        {
            **{name: row[name] for name in ("file_name", "status", "error")},
            **{name: int(row[name]) for name in _COUNTS},
            **{name: iso_z(row[name]) for name in ("started_at", "updated_at", "finished_at")},
        }
    )
