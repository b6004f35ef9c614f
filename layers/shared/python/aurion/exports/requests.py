"""POST /api/v1/analytics/export, GET /api/v1/analytics/exports and /exports/{id}, GET /export/{id}/download.

Admin roles only (EXPORT_ROLES). An export lives 24 hours from its creation: it is listed, and downloadable once
produced, until `expires_at`; after that the download answers 410 (the S3 object itself is deleted by the
bucket's lifecycle rule a day later). Every creation and every download attempt writes an audit row.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.auth.roles import EXPORT_ROLES
from aurion.db import Transaction
from aurion.errors import Conflict, Gone, InvalidInput, NotFound
from aurion.exports import clock
from aurion.exports.audit import audit, user_uuid
from aurion.exports.config import get_export_config
from aurion.exports.delivery_config import get_delivery_config
from aurion.exports.destinations import usable_destination_ids
from aurion.exports.formats import ExportOptions, object_key
from aurion.exports.queue import enqueue_export, queue_url
from aurion.exports.storage import exports_bucket, presigned_download
from aurion.exports.totals import estimated_finish, percent
from aurion.http import json_response
from aurion.models.exports import (
    DownloadFailed,
    DownloadLink,
    DownloadPending,
    ExportCreated,
    ExportFormat,
    ExportItem,
    ExportList,
    ExportRequest,
    ExportScope,
)
from aurion.responses import error_response
from aurion.timefmt import iso_z

EXPORT_TTL = timedelta(hours=24)
LIST_LIMIT = 1000
RETRY_AFTER_SECONDS = 5
# The download route's documented answers; 404, like every route with an id, and the common errors are documented
# for every route (aurion.responses). 200 exists for browsers: fetch() follows a 302 itself, cross-origin, and the
# page never sees the Location, while a navigation cannot send the Bearer token.
DOWNLOAD_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": (
            "Ready, and the request's Accept names application/json: the file's presigned URL (valid at most 15 "
            "minutes) and when it stops working. The bucket answers the dashboard origins' CORS check, so a page "
            "can fetch() the URL"
        ),
        "content": {"application/json": {"model": DownloadLink}},
    },
    302: {
        "description": "Ready: Location is a presigned URL of the file, valid at most 15 minutes",
        "headers": {"Location": {"description": "The file's presigned URL", "schema": {"type": "string"}}},
        "content": {},
    },
    202: {
        "description": "Queued or running: retry after Retry-After seconds",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
        "content": {"application/json": {"model": DownloadPending}},
    },
    409: {
        "description": (
            "The export failed (detail says why, failure_reason what kind of failure it was) or was cancelled "
            "(failure_reason cancelled)"
        ),
        "content": {"application/json": {"model": DownloadFailed}},
    },
    410: error_response("The export is older than 24 hours, or an admin deleted it: it can no longer be downloaded"),
}
# Visible ASCII, as the IETF Idempotency-Key draft's examples; long enough for a UUID or a hash.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class ExportFailed(Conflict):
    """409 with the typed reason beside the spec's detail."""

    def __init__(self, detail: str, failure_reason: str | None) -> None:
        super().__init__(detail)
        self.failure_reason = failure_reason

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "failure_reason": self.failure_reason}


def download_url(export_id: str, fmt: str, start_date: date | str, end_date: date | str) -> str:
    """The spec's form: /api/v1/analytics/export/{id}/download?format=csv&start_date=...&end_date=..."""
    query = urlencode({"format": fmt, "start_date": str(start_date), "end_date": str(end_date)})
    return f"/api/v1/analytics/export/{export_id}/download?{query}"


@dataclass(frozen=True)
class NewExport:
    """An export to insert: from the API (idempotency_key) or from a schedule (schedule_id, period start)."""

    tenant_id: str
    created_by: str
    format: ExportFormat
    scope: ExportScope
    start_date: date
    end_date: date
    tz: str
    include_call_details: bool
    include_transcripts: bool
    include_conversations: bool
    created_at: datetime
    idempotency_key: str | None = None
    schedule_id: str | None = None
    schedule_period_start: date | None = None
    notify_destination_ids: tuple[str, ...] = ()

    @property
    def options(self) -> ExportOptions:
        return ExportOptions(
            format=self.format,
            scope=self.scope,
            include_call_details=self.include_call_details,
            include_transcripts=self.include_transcripts,
            include_conversations=self.include_conversations,
        )


INSERT_SQL = """
INSERT INTO exports (id, tenant_id, created_by, format, scope, start_date, end_date, tz, include_call_details,
                     include_transcripts, include_conversations, status, s3_key, idempotency_key, schedule_id,
                     schedule_period_start, notify_destination_ids, created_at, expires_at)
VALUES (CAST(:id AS uuid), CAST(:tenant_id AS uuid), CAST(:created_by AS uuid), :format, :scope, :start_date,
        :end_date, :tz, :include_call_details, :include_transcripts, :include_conversations, 'queued', :s3_key,
        :idempotency_key, CAST(:schedule_id AS uuid), CAST(:schedule_period_start AS date),
        CAST(:notify AS uuid[]), :created_at, :expires_at)
-- A repeated Idempotency-Key, or a second export of the same schedule period: keep the first one.
ON CONFLICT DO NOTHING
RETURNING id::text
"""

_COLUMNS = """
id::text AS export_id, format, scope, start_date, end_date, tz, include_call_details, include_transcripts,
include_conversations, status, row_count, size_bytes, error, failure_reason, rows_written, progress_at, s3_key,
created_at, expires_at, rows_total, started_at, notify_destination_ids::text[] AS notify
"""

BY_IDEMPOTENCY_KEY_SQL = f"""
SELECT {_COLUMNS} FROM exports
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_by = CAST(:created_by AS uuid)
  AND idempotency_key = :idempotency_key
"""

LIST_SQL = f"""
SELECT {_COLUMNS} FROM exports
WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at > :since
ORDER BY created_at DESC, id DESC
LIMIT {LIST_LIMIT}
"""

BY_ID_SQL = f"""
SELECT {_COLUMNS} FROM exports WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""


def insert_export(tx: Transaction, new: NewExport) -> str | None:
    """Insert a queued export; returns its id, or None when an equal one exists (same key or period)."""
    export_id = str(uuid.uuid4())
    return tx.value(
        INSERT_SQL,
        id=export_id,
        tenant_id=new.tenant_id,
        created_by=new.created_by,
        format=new.format,
        scope=new.scope,
        start_date=new.start_date,
        end_date=new.end_date,
        tz=new.tz,
        include_call_details=new.include_call_details,
        include_transcripts=new.include_transcripts,
        include_conversations=new.include_conversations,
        s3_key=object_key(new.tenant_id, export_id, new.options),
        idempotency_key=new.idempotency_key,
        schedule_id=new.schedule_id,
        schedule_period_start=new.schedule_period_start,
        notify=list(new.notify_destination_ids),
        created_at=new.created_at,
        expires_at=new.created_at + EXPORT_TTL,
    )


def _created(row: dict[str, Any]) -> ExportCreated:
    return ExportCreated(
        export_id=row["export_id"],
        download_url=download_url(row["export_id"], row["format"], row["start_date"], row["end_date"]),
        expires_at=iso_z(row["expires_at"]) or "",
    )


def _same_request(row: dict[str, Any], request: ExportRequest) -> bool:
    notify = sorted({str(value) for value in request.notify_destination_ids or []})
    return sorted(row["notify"] or []) == notify and all(
        row[name] == getattr(request, name)
        for name in ("format", "scope", "start_date", "end_date", "tz", "include_call_details",
                     "include_transcripts", "include_conversations")
    )  # fmt: skip


def create_export(caller: Caller, request: ExportRequest, *, idempotency_key: str | None = None) -> ExportCreated:
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise InvalidInput(
            ("header", "Idempotency-Key"), "Idempotency-Key must be 1-255 visible ASCII characters", "string_pattern"
        )
    # Fail before writing anything when the deployment lacks its bucket or queue.
    exports_bucket()
    queue_url()
    created_by = user_uuid(caller.user_id)
    now = clock.utcnow().replace(microsecond=0)
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        notify = usable_destination_ids(scope.tx, scope.tenant.id, request.notify_destination_ids,
                                        "notify_destination_ids")  # fmt: skip
        if notify:
            get_delivery_config().require_queue()
        new = NewExport(
            tenant_id=scope.tenant.id,
            created_by=created_by,
            format=request.format,
            scope=request.scope,
            start_date=request.start_date,
            end_date=request.end_date,
            tz=request.tz,
            include_call_details=request.include_call_details,
            include_transcripts=request.include_transcripts,
            include_conversations=request.include_conversations,
            created_at=now,
            idempotency_key=idempotency_key,
            notify_destination_ids=tuple(notify),
        )
        export_id = insert_export(scope.tx, new)
        if export_id is None:
            # The same user sent this Idempotency-Key before: answer with that export, create nothing.
            existing = scope.tx.one(
                BY_IDEMPOTENCY_KEY_SQL,
                tenant_id=scope.tenant.id,
                created_by=created_by,
                idempotency_key=idempotency_key,
            )
            if existing is None:  # unreachable: the conflict was on this key
                raise Conflict("The export could not be created, retry")
            if not _same_request(existing, request):
                raise InvalidInput(
                    ("header", "Idempotency-Key"),
                    "This Idempotency-Key was already used for a different export request",
                    "idempotency_key_reused",
                )
            audit(scope.tx, tenant_id=scope.tenant.id, actor=caller.user_id, action="export.create",
                  target=f"export:{existing['export_id']}", outcome="replayed", request_id=caller.request_id,
                  created_at=now)  # fmt: skip
            return _created(existing)
        audit(scope.tx, tenant_id=scope.tenant.id, actor=caller.user_id, action="export.create",
              target=f"export:{export_id}", outcome="queued", request_id=caller.request_id,
              created_at=now)  # fmt: skip
        # Queued before the commit: if SQS refuses, the transaction rolls back and the client gets a 503 with
        # nothing half-created. The worker retries a message that outruns the commit (ExportNotFound).
        enqueue_export(export_id, scope.tenant.id)
        row = scope.tx.one(BY_ID_SQL, export_id=export_id, tenant_id=scope.tenant.id)
    assert row is not None
    return _created(row)


def _item(row: dict[str, Any]) -> ExportItem:
    return ExportItem(
        export_id=row["export_id"],
        format=row["format"],
        scope=row["scope"],
        start_date=row["start_date"].isoformat(),
        end_date=row["end_date"].isoformat(),
        include_call_details=row["include_call_details"],
        include_transcripts=row["include_transcripts"],
        include_conversations=row["include_conversations"],
        download_url=download_url(row["export_id"], row["format"], row["start_date"], row["end_date"]),
        created_at=iso_z(row["created_at"]) or "",
        expires_at=iso_z(row["expires_at"]) or "",
        status=row["status"],
        row_count=row["row_count"],
        size_bytes=row["size_bytes"],
        error=row["error"],
        failure_reason=row["failure_reason"],
        rows_written=row["rows_written"],
        progress_at=iso_z(row["progress_at"]),
        percent=percent(row["rows_written"], row["rows_total"], row["status"]),
        estimated_finish_at=iso_z(
            estimated_finish(
                row["rows_written"], row["rows_total"], row["started_at"], row["progress_at"], row["status"]
            )
        ),
    )


def list_exports(caller: Caller) -> ExportList:
    """The tenant's exports created in the last 24 hours (still downloadable once ready), newest first."""
    since = clock.utcnow() - EXPORT_TTL
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        rows = scope.tx.all(LIST_SQL, tenant_id=scope.tenant.id, since=since)
    return ExportList(exports=[_item(row) for row in rows])


def get_export(caller: Caller, export_id: str) -> ExportItem:
    """One export as the listing shows it (its progress while it runs); another tenant's is a 404."""
    try:
        export_uuid = str(uuid.UUID(export_id))
    except ValueError:
        raise NotFound("Export not found") from None
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        row = scope.tx.one(BY_ID_SQL, export_id=export_uuid, tenant_id=scope.tenant.id)
    if row is None:
        raise NotFound("Export not found")
    return _item(row)


def asks_for_json(accept: str | None) -> bool:
    """Whether an Accept header names application/json itself with a quality above 0 (*/* does not: curl, a
    navigation and every client the spec describes get the redirect)."""
    for media_range in (accept or "").split(","):
        media_type, *parameters = (part.strip().lower() for part in media_range.split(";"))
        quality = next((value for name, _, value in (p.partition("=") for p in parameters) if name.strip() == "q"), "1")
        try:
            accepted = float(quality) > 0
        except ValueError:
            accepted = False
        if media_type == "application/json" and accepted:
            return True
    return False


def download_export(caller: Caller, export_id: str, *, accept: str | None = None) -> Response[Any]:
    """302 to a short-lived presigned URL when ready (200 with the URL for a client asking for JSON); 202 while
    queued or running; 409 failed; 410 expired."""
    try:
        export_uuid = str(uuid.UUID(export_id))
    except ValueError:
        raise NotFound("Export not found") from None
    now = clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        row = scope.tx.one(BY_ID_SQL, export_id=export_uuid, tenant_id=scope.tenant.id)
        if row is None:
            raise NotFound("Export not found")
        remaining = int((row["expires_at"] - now).total_seconds())
        if remaining < 1:
            outcome = "expired"
        elif row["status"] == "succeeded":
            outcome = "redirected"
        elif row["status"] in ("failed", "cancelled", "deleted"):
            outcome = row["status"]
        else:
            outcome = "not_ready"
        # The audit row is written whatever the answer; errors are raised after the commit so it stays.
        audit(scope.tx, tenant_id=scope.tenant.id, actor=caller.user_id, action="export.download",
              target=f"export:{export_uuid}", outcome=outcome, result_count=row["row_count"],
              request_id=caller.request_id, created_at=now)  # fmt: skip
    if outcome == "expired":
        raise Gone("This export has expired: exports can be downloaded for 24 hours")
    if outcome == "deleted":
        raise Gone("This export was deleted by an admin")
    if outcome == "cancelled":
        raise ExportFailed("The export was cancelled by an admin", row["failure_reason"])
    if outcome == "failed":
        raise ExportFailed(f"The export failed: {row['error'] or 'unknown error'}", row["failure_reason"])
    if outcome == "not_ready":
        status = row["status"]
        pending = DownloadPending(detail=f"The export is {status}; retry shortly", status=status)
        return json_response(202, pending.model_dump(), {"Retry-After": str(RETRY_AFTER_SECONDS)})
    # Never valid past the export's window, and at most presign_max_seconds (15 min by default).
    expires_in = min(get_export_config().presign_max_seconds, remaining)
    location = presigned_download(row["s3_key"], expires_in)
    # Vary: the same URL answers a redirect or a JSON body by Accept.
    headers = {"Cache-Control": "no-store", "Vary": "Accept"}
    if asks_for_json(accept):
        link = DownloadLink(url=location, expires_at=iso_z(now + timedelta(seconds=expires_in)) or "")
        return json_response(200, link.model_dump(), headers)
    return Response(status_code=302, body="", headers={"Location": location, **headers})
