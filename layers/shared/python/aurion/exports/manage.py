"""POST /api/v1/analytics/exports/{id}/cancel and DELETE /api/v1/analytics/exports/{id}, admin roles only.

Cancel: a queued export is cancelled at once (a worker that claims it later ignores it); a running one is
marked for cancelling and the worker stops at its next progress checkpoint (aurion.exports.progress), aborts its
multipart upload and records `cancelled`. Delete: a finished export (succeeded, failed or cancelled) inside its
24 hours loses its S3 object and becomes `deleted`; its row stays, for the listing and the audit trail. Each
writes an audit row (export.cancel, export.delete).
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.auth.roles import EXPORT_ROLES
from aurion.errors import Conflict, Gone, NotFound
from aurion.exports import clock
from aurion.exports.audit import audit
from aurion.exports.aws import client
from aurion.exports.requests import get_export
from aurion.exports.storage import exports_bucket
from aurion.models.exports import ExportItem
from aurion.responses import error_response

# The 200 is spelled out: a route's own responses replace the one its return type would document.
CANCEL_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The export: cancelled (it was queued), or still running until its next checkpoint",
        "content": {"application/json": {"model": ExportItem}},
    },
    409: error_response("The export has already finished (succeeded, failed, cancelled or deleted)"),
}
DELETE_RESPONSES: dict[int, OpenAPIResponse] = {
    204: {"description": "The file is deleted; the export stays listed as deleted", "content": {}},
    409: error_response("The export is still queued or running: cancel it instead"),
    410: error_response("The export is older than 24 hours: its file is already being removed"),
}

LOCK_SQL = """
SELECT id::text AS export_id, status, s3_key, expires_at FROM exports
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
FOR UPDATE
"""

CANCEL_QUEUED_SQL = """
UPDATE exports SET status = 'cancelled', failure_reason = 'cancelled', error = 'Cancelled by an admin',
       cancel_requested_at = :now, finished_at = :now
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

REQUEST_CANCEL_SQL = """
UPDATE exports SET cancel_requested_at = COALESCE(cancel_requested_at, :now)
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

MARK_DELETED_SQL = """
UPDATE exports SET status = 'deleted' WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""


def _export_uuid(export_id: str) -> str:
    try:
        return str(uuid.UUID(export_id))
    except ValueError:
        raise NotFound("Export not found") from None


def cancel_export(caller: Caller, export_id: str) -> ExportItem:
    """Cancel a queued export now, or ask its worker to stop; answers the export as the listing shows it."""
    export_uuid, now = _export_uuid(export_id), clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        ids = {"export_id": export_uuid, "tenant_id": scope.tenant.id}
        row = scope.tx.one(LOCK_SQL, **ids)
        if row is None:
            raise NotFound("Export not found")
        status = row["status"]
        if status == "queued":
            scope.tx.execute(CANCEL_QUEUED_SQL, now=now, **ids)
            outcome = "cancelled"
        elif status == "running":
            scope.tx.execute(REQUEST_CANCEL_SQL, now=now, **ids)
            outcome = "requested"
        else:
            outcome = f"refused_{status}"
        audit(scope.tx, tenant_id=scope.tenant.id, actor=caller.user_id, action="export.cancel",
              target=f"export:{export_uuid}", outcome=outcome, request_id=caller.request_id,
              created_at=now)  # fmt: skip
    if outcome.startswith("refused"):
        raise Conflict(f"The export is already {status}: there is nothing to cancel")
    return get_export(caller, export_uuid)


def delete_export(caller: Caller, export_id: str) -> Response[Any]:
    """Delete a finished export's file before it expires; the row stays as deleted."""
    export_uuid, now = _export_uuid(export_id), clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        ids = {"export_id": export_uuid, "tenant_id": scope.tenant.id}
        row = scope.tx.one(LOCK_SQL, **ids)
        if row is None:
            raise NotFound("Export not found")
        status = row["status"]
        if row["expires_at"] <= now:
            outcome = "expired"
        elif status in ("queued", "running"):
            outcome = f"refused_{status}"
        elif status == "deleted":
            outcome = "already_deleted"
        else:
            # The object first, inside the transaction: if S3 refuses, nothing says deleted while the file stays.
            # A failed or cancelled export has no object; DeleteObject of a missing key succeeds.
            client("s3").delete_object(Bucket=exports_bucket(), Key=row["s3_key"])
            scope.tx.execute(MARK_DELETED_SQL, **ids)
            outcome = "deleted"
        audit(scope.tx, tenant_id=scope.tenant.id, actor=caller.user_id, action="export.delete",
              target=f"export:{export_uuid}", outcome=outcome, request_id=caller.request_id,
              created_at=now)  # fmt: skip
    if outcome == "expired":
        raise Gone("This export has expired: its file is removed by the bucket's lifecycle rule")
    if outcome.startswith("refused"):
        raise Conflict(f"The export is {status}: cancel it instead")
    return Response(status_code=204, body="", headers={})
