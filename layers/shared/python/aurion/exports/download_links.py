"""GET /api/v1/analytics/export/{export_id}/link?token=...: the download link e-mails and webhooks carry.

A presigned S3 URL dies with the role session that signed it (a few hours), long before the export's 24 hours.
This link instead carries a token the API checks itself, then answers 302 to a fresh presigned URL of at most
presign_max_seconds, as the authenticated download route does. No authorizer: the token is the credential.

token = <tenant id, 32 hex>.<HMAC-SHA256 hex> over (export id, tenant id, expires_at), keyed with a key derived
from the deployment's webhook key under a label of its own (a webhook secret never opens a file, nor the other
way round). The tenant rides in the token because, without a session, nothing else says which tenant's rows the
transaction may see. A token that does not verify, for whatever reason, is one 403: no oracle of which exports
exist. The token is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from aurion.db import get_database
from aurion.errors import Forbidden, Gone
from aurion.exports import clock
from aurion.exports.audit import audit
from aurion.exports.config import get_export_config
from aurion.exports.delivery_config import get_delivery_config
from aurion.exports.storage import presigned_download
from aurion.logs import logger
from aurion.responses import error_response

LINK_PATH = "/api/v1/analytics/export/{export_id}/link"
# Audit rows need an actor: whoever holds the delivered link, not a user of the tenant.
LINK_ACTOR = "download-link"
_LABEL = b"export-download-link:v1"
_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{64})")
INVALID = "The download link is invalid"

LINK_RESPONSES: dict[int, OpenAPIResponse] = {
    302: {
        "description": "Location is a presigned URL of the file, valid at most 15 minutes",
        "headers": {"Location": {"description": "The file's presigned URL", "schema": {"type": "string"}}},
        "content": {},
    },
    403: error_response("The token is missing, altered, or not this export's"),
    410: error_response("The export is older than 24 hours, or was deleted or cancelled: the link no longer works"),
}

LINK_SQL = """
SELECT status, s3_key, expires_at, row_count FROM exports
WHERE id = CAST(:export_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""


def _key(deployment_key: bytes) -> bytes:
    return hmac.new(deployment_key, _LABEL, hashlib.sha256).digest()


def _mac(deployment_key: bytes, export_id: str, tenant_id: str, expires_at: datetime) -> str:
    # Microseconds and UTC: the stored timestamptz exactly, however the driver's zone renders it.
    message = f"{uuid.UUID(export_id)}:{uuid.UUID(tenant_id)}:{expires_at.astimezone(UTC).isoformat()}"
    return hmac.new(_key(deployment_key), message.encode(), hashlib.sha256).hexdigest()


def link_token(deployment_key: bytes, export_id: str, tenant_id: str, expires_at: datetime) -> str:
    return f"{uuid.UUID(tenant_id).hex}.{_mac(deployment_key, export_id, tenant_id, expires_at)}"


def download_link(base_url: str, deployment_key: bytes, export_id: str, tenant_id: str, expires_at: datetime) -> str:
    path = LINK_PATH.format(export_id=uuid.UUID(export_id))
    return f"{base_url.rstrip('/')}{path}?token={link_token(deployment_key, export_id, tenant_id, expires_at)}"


def open_link(export_id: str, token: str, *, request_id: str | None = None) -> Response[Any]:
    """302 to a fresh presigned URL for a token that verifies against the export as stored; 403 otherwise;
    410 once the export expired or is no longer succeeded (deleted, cancelled)."""
    match = _TOKEN.fullmatch(token)
    try:
        export_uuid = str(uuid.UUID(export_id))
    except ValueError:
        raise Forbidden(INVALID) from None
    if match is None:
        raise Forbidden(INVALID)
    tenant_id = str(uuid.UUID(match.group(1)))
    deployment_key = get_delivery_config().signing_key()
    now = clock.utcnow()
    with get_database().transaction(tenant_id) as tx:
        row = tx.one(LINK_SQL, export_id=export_uuid, tenant_id=tenant_id)
        expected = _mac(deployment_key, export_uuid, tenant_id, row["expires_at"]) if row else "0" * 64
        if not hmac.compare_digest(expected, match.group(2)) or row is None:
            logger.warning("download link refused", extra={"reason": "token"})
            raise Forbidden(INVALID)
        remaining = int((row["expires_at"] - now).total_seconds())
        outcome = "expired" if remaining < 1 else "redirected" if row["status"] == "succeeded" else row["status"]
        audit(tx, tenant_id=tenant_id, actor=LINK_ACTOR, action="export.download", target=f"export:{export_uuid}",
              outcome=outcome, result_count=row["row_count"], request_id=request_id, created_at=now)  # fmt: skip
    if outcome == "expired":
        raise Gone("This export has expired: exports can be downloaded for 24 hours")
    if outcome != "redirected":
        raise Gone(f"This export can no longer be downloaded: it was {outcome}")
    location = presigned_download(row["s3_key"], min(get_export_config().presign_max_seconds, remaining))
    headers = {"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return Response(status_code=302, body="", headers=headers)
