"""Export destinations (admin roles only): create, list, read, verify, re-enable, delete; their delivery log; and
the check that a schedule or an on-demand export names only usable destinations of its own tenant.

E-mail: an address that is a user of the tenant (users.email) is verified at creation; any other address is sent
a one-time code that an admin must submit back (POST .../verify) within the verification window, so the feature
cannot mail arbitrary outsiders. The code is made and mailed by the delivery function (aurion.exports.delivery,
the one function with a way out to SES), from a message on the delivery queue that carries no code.
Webhook: the URL passes the SSRF guard (aurion.exports.webhooks) and the signing secret is answered once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.auth.roles import EXPORT_ROLES
from aurion.db import Transaction
from aurion.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from aurion.exports import clock
from aurion.exports.audit import audit, user_uuid
from aurion.exports.aws import client
from aurion.exports.delivery_config import get_delivery_config
from aurion.exports.webhooks import UnsafeWebhookUrl, check_webhook_url, destination_secret
from aurion.logs import logger
from aurion.models.destinations import (
    Delivery,
    DeliveryList,
    Destination,
    DestinationCreated,
    DestinationList,
    DestinationVerify,
    EmailDestinationCreate,
    WebhookDestinationCreate,
)
from aurion.responses import error_response
from aurion.timefmt import iso_z

CREATED_RESPONSES: dict[int, OpenAPIResponse] = {201: {"description": "The new destination (and a webhook's secret)"}}
DELETED_RESPONSES: dict[int, OpenAPIResponse] = {204: {"description": "Deleted (no body)", "content": {}}}
# The 200 is spelled out: a route's own responses replace the one its return type would document.
VERIFY_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {"description": "The destination, now verified", "content": {"application/json": {"model": Destination}}},
    409: error_response("Nothing to verify: a webhook, or an address already verified"),
}
DELIVERY_LOG_LIMIT = 200

_COLUMNS = """
id::text AS destination_id, kind, name, email, url, secret_salt, verified_at, verification_token_hash,
verification_expires_at, enabled, disabled_reason, disabled_at, consecutive_failures, created_at
"""

INSERT_SQL = f"""
INSERT INTO export_destinations (id, tenant_id, kind, name, email, url, secret_salt, verified_at,
                                 verification_token_hash, verification_expires_at, created_by, created_at)
VALUES (CAST(:id AS uuid), CAST(:tenant_id AS uuid), :kind, :name, :email, :url, :secret_salt, :verified_at,
        :token_hash, :token_expires_at, CAST(:created_by AS uuid), :now)
RETURNING {_COLUMNS}
"""
LIST_SQL = f"""
SELECT {_COLUMNS} FROM export_destinations WHERE tenant_id = CAST(:tenant_id AS uuid) ORDER BY created_at DESC, id
"""
BY_ID_SQL = f"""
SELECT {_COLUMNS} FROM export_destinations WHERE id = CAST(:destination_id AS uuid)
  AND tenant_id = CAST(:tenant_id AS uuid)
"""
USER_EMAIL_SQL = """
SELECT 1 FROM users WHERE tenant_id = CAST(:tenant_id AS uuid) AND lower(email) = lower(:email) LIMIT 1
"""
VERIFIED_SQL = f"""
UPDATE export_destinations SET verified_at = :now, verification_token_hash = NULL, verification_expires_at = NULL
WHERE id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
RETURNING {_COLUMNS}
"""
ENABLE_SQL = f"""
UPDATE export_destinations SET enabled = true, disabled_reason = NULL, disabled_at = NULL, consecutive_failures = 0
WHERE id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
RETURNING {_COLUMNS}
"""
DELETE_SQL = """
DELETE FROM export_destinations WHERE id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""
USABLE_SQL = """
SELECT id::text AS destination_id, kind, verified_at IS NOT NULL OR kind = 'webhook' AS verified, enabled
FROM export_destinations WHERE tenant_id = CAST(:tenant_id AS uuid) AND id = ANY (CAST(:ids AS uuid[]))
"""
DELIVERIES_SQL = f"""
SELECT id::text AS delivery_id, export_id::text AS export_id, destination_id::text AS destination_id, status,
       attempts, last_status_code, last_error, created_at, last_attempt_at, delivered_at
FROM export_deliveries
WHERE destination_id = CAST(:destination_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
ORDER BY created_at DESC, id LIMIT {DELIVERY_LOG_LIMIT}
"""


def _model(row: dict[str, Any]) -> Destination:
    return Destination(
        destination_id=row["destination_id"],
        kind=row["kind"],
        name=row["name"],
        email=row["email"],
        url=row["url"],
        verified=row["kind"] == "webhook" or row["verified_at"] is not None,
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        disabled_at=iso_z(row["disabled_at"]),
        consecutive_failures=row["consecutive_failures"],
        created_at=iso_z(row["created_at"]) or "",
    )


def _destination_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("Export destination not found") from None


def enqueue_verification(destination_id: str, tenant_id: str) -> None:
    body = json.dumps({"verify_destination_id": destination_id, "tenant_id": tenant_id}, separators=(",", ":"))
    try:
        client("sqs").send_message(QueueUrl=get_delivery_config().require_queue(), MessageBody=body)
    except Exception as exc:
        logger.error("could not queue the verification", extra={"error_type": type(exc).__name__})
        raise ServiceUnavailable("Could not send the verification code, retry shortly") from exc


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def _audit(tx: Transaction, tenant_id: str, caller: Caller, action: str, destination_id: str, now: Any) -> None:
    audit(tx, tenant_id=tenant_id, actor=caller.user_id, action=action, target=f"destination:{destination_id}",
          outcome="ok", request_id=caller.request_id, created_at=now)  # fmt: skip


def create_destination(
    caller: Caller, body: EmailDestinationCreate | WebhookDestinationCreate
) -> Response[DestinationCreated]:
    config = get_delivery_config()
    now = clock.utcnow()
    destination_id = str(uuid.uuid4())
    values: dict[str, Any] = {"email": None, "url": None, "secret_salt": None, "verified_at": None,
                              "token_hash": None, "token_expires_at": None}  # fmt: skip
    if isinstance(body, WebhookDestinationCreate):
        try:
            check_webhook_url(body.url, allow_private=config.allow_private_webhooks)
        except UnsafeWebhookUrl as exc:
            raise InvalidInput(("body", "url"), str(exc), "unsafe_url") from None
        config.signing_key()  # refuse before writing when the deployment cannot sign
        values.update(url=body.url, secret_salt=secrets.token_urlsafe(16))
    else:
        config.require_sender()
        config.require_queue()
        values["email"] = body.email
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        own_user = isinstance(body, EmailDestinationCreate) and scope.tx.one(
            USER_EMAIL_SQL, tenant_id=scope.tenant.id, email=body.email
        )
        if own_user:
            values["verified_at"] = now
        row = scope.tx.one(INSERT_SQL, id=destination_id, tenant_id=scope.tenant.id, kind=body.kind, name=body.name,
                           created_by=user_uuid(caller.user_id), now=now, **values)  # fmt: skip
        assert row is not None
        _audit(scope.tx, scope.tenant.id, caller, "export_destination.create", destination_id, now)
        if row["kind"] == "email" and row["verified_at"] is None:
            # Queued before the commit: if SQS refuses, nothing is created and the admin gets the 503.
            enqueue_verification(destination_id, scope.tenant.id)
    secret = None
    if row["kind"] == "webhook":
        secret = destination_secret(config.signing_key(), destination_id, row["secret_salt"])
    return Response(status_code=201, content_type="application/json",
                    body=DestinationCreated(destination=_model(row), signing_secret=secret))  # fmt: skip


def list_destinations(caller: Caller) -> DestinationList:
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        rows = scope.tx.all(LIST_SQL, tenant_id=scope.tenant.id)
    return DestinationList(destinations=[_model(row) for row in rows])


def get_destination(caller: Caller, destination_id: str) -> Destination:
    destination_id = _destination_id(destination_id)
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        row = scope.tx.one(BY_ID_SQL, destination_id=destination_id, tenant_id=scope.tenant.id)
    if row is None:
        raise NotFound("Export destination not found")
    return _model(row)


def verify_destination(caller: Caller, destination_id: str, body: DestinationVerify) -> Destination:
    destination_id = _destination_id(destination_id)
    now = clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        ids = {"destination_id": destination_id, "tenant_id": scope.tenant.id}
        row = scope.tx.one(f"{BY_ID_SQL} FOR UPDATE", **ids)
        if row is None:
            raise NotFound("Export destination not found")
        if row["kind"] != "email" or row["verified_at"] is not None:
            raise Conflict("This destination needs no verification")
        expired = row["verification_expires_at"] is None or row["verification_expires_at"] <= now
        if expired or not secrets.compare_digest(row["verification_token_hash"] or "", token_hash(body.token)):
            raise InvalidInput(("body", "token"), "The code is wrong or has expired", "invalid_token")
        updated = scope.tx.one(VERIFIED_SQL, now=now, **ids)
        _audit(scope.tx, scope.tenant.id, caller, "export_destination.verify", destination_id, now)
    assert updated is not None
    return _model(updated)


def enable_destination(caller: Caller, destination_id: str) -> Destination:
    """Switch a destination that was disabled after repeated failures back on (its failure count starts over)."""
    destination_id = _destination_id(destination_id)
    now = clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        row = scope.tx.one(ENABLE_SQL, destination_id=destination_id, tenant_id=scope.tenant.id)
        if row is None:
            raise NotFound("Export destination not found")
        _audit(scope.tx, scope.tenant.id, caller, "export_destination.enable", destination_id, now)
    return _model(row)


def delete_destination(caller: Caller, destination_id: str) -> Response[Any]:
    destination_id = _destination_id(destination_id)
    now = clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        if scope.tx.execute(DELETE_SQL, destination_id=destination_id, tenant_id=scope.tenant.id) == 0:
            raise NotFound("Export destination not found")
        _audit(scope.tx, scope.tenant.id, caller, "export_destination.delete", destination_id, now)
    return Response(status_code=204, body="")


def list_deliveries(caller: Caller, destination_id: str) -> DeliveryList:
    destination_id = _destination_id(destination_id)
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        if scope.tx.one(BY_ID_SQL, destination_id=destination_id, tenant_id=scope.tenant.id) is None:
            raise NotFound("Export destination not found")
        rows = scope.tx.all(DELIVERIES_SQL, destination_id=destination_id, tenant_id=scope.tenant.id)
    return DeliveryList(
        deliveries=[
            Delivery(
                **{
                    **row,
                    **{name: iso_z(row[name]) for name in ("last_attempt_at", "delivered_at")},
                    "created_at": iso_z(row["created_at"]) or "",
                }
            )
            for row in rows
        ]
    )


def usable_destination_ids(tx: Transaction, tenant_id: str, ids: list[uuid.UUID] | None, field: str) -> list[str]:
    """The ids as text, each an enabled, verified destination of this tenant; else the 422 naming the first bad one
    (another tenant's id is reported as unknown: it is, to this tenant)."""
    wanted = list(dict.fromkeys(str(value) for value in ids or []))
    if not wanted:
        return []
    rows = {row["destination_id"]: row for row in tx.all(USABLE_SQL, tenant_id=tenant_id, ids=wanted)}
    for index, destination_id in enumerate(wanted):
        row = rows.get(destination_id)
        if row is None:
            raise InvalidInput(("body", field, str(index)), "Unknown export destination", "unknown_destination")
        if not row["verified"]:
            raise InvalidInput(
                ("body", field, str(index)),
                "This e-mail address has not confirmed its verification code yet: nothing can be sent to it",
                "unverified_destination",
            )
        if not row["enabled"]:
            raise InvalidInput(
                ("body", field, str(index)), "This destination is disabled (see its disabled_reason)", "disabled"
            )
    return wanted
