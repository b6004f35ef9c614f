"""The Custom::Migrations resource: every deployment brings the database's schema and the app role up to date.

CloudFormation sends Create when the stack is first deployed and Update whenever the resource's properties change;
the template passes the shared layer's version ARN as MigrationsVersion, and SAM publishes a new layer version
whenever anything under layers/shared/python changes (the migrations live there), so a deployment that carries a
new migration always reaches this function, with the new code. Both requests do the same: apply the pending
migrations (aurion.migrate, as the owner from OwnerSecretArn) and set the app role's password from AppSecretArn.
Doing it twice changes nothing, so a redeploy, a retried invocation or a rollback's Update is harmless.

A migration that fails answers FAILED: the deployment fails and CloudFormation rolls the stack back. Each migration
runs in its own transaction, so the failed one leaves nothing behind; the migrations before it in the same
deployment stay applied (PostgreSQL cannot undo a committed migration, and no down-migrations exist). The previous
code therefore runs on a schema that may be newer than it knows: migrations must only add (expand, then contract in
a later release). The rollback's Update runs the previous package, which finds none of its migrations pending.

Delete answers SUCCESS and touches nothing: the data outlives the stack (see docs/deployment.md, tearing down).

The answer is the plain cfn-response protocol: a JSON document PUT to the presigned ResponseURL. Its Reason is
shown in the stack's events, so it names the migration, the SQLSTATE and the server's primary message, never the
message's detail (a refused row is quoted there) nor any part of a secret.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from aurion import migrate as schema
from aurion.db_url import connect_params
from aurion.logs import log_failure, logger
from aurion.pg_errors import server_message, sqlstate
from aurion.settings import _db_url_from_rds_secret

# CloudFormation refuses a response body over 4,096 bytes.
_MAX_REASON = 1000
_RESPONSE_TIMEOUT_S = 30


class DeployFailure(Exception):
    """Why the migrations could not be applied, in words safe to show in the stack's events."""


@dataclass(frozen=True)
class Outcome:
    status: str  # SUCCESS or FAILED
    reason: str
    data: dict[str, str]


def handle(event: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Answer one CloudFormation request: the response document, already PUT to its ResponseURL."""
    request_type = event.get("RequestType")
    if request_type == "Delete":
        outcome = Outcome("SUCCESS", "Nothing dropped: the schema and its data are kept", {})
    elif request_type in ("Create", "Update"):
        try:
            outcome = _apply(event.get("ResourceProperties") or {}, env)
        except Exception as exc:  # unanswered, CloudFormation would wait an hour before failing the stack
            log_failure("migrations failed unexpectedly", exc)
            outcome = Outcome("FAILED", f"Migrations failed unexpectedly ({type(exc).__name__})", {})
    else:
        outcome = Outcome("FAILED", f"Unknown RequestType {str(request_type)[:40]!r}", {})
    response = {
        "Status": outcome.status,
        "Reason": outcome.reason[:_MAX_REASON],
        # Stable across Updates: a new id would make CloudFormation treat the Update as a replacement and Delete the
        # old one (harmless here, but noise in the events).
        "PhysicalResourceId": event.get("PhysicalResourceId")
        or f"{event.get('LogicalResourceId', 'Migrations')}-schema",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": outcome.data,
    }
    logger.info("migrations answered", extra={"request_type": request_type, "status": outcome.status,
                                              "reason": response["Reason"]})  # fmt: skip
    send_response(event["ResponseURL"], response)
    return response


def send_response(url: str, response: dict[str, Any]) -> None:
    """PUT the answer to the presigned URL. A failure raises: Lambda retries the invocation, which is idempotent."""
    body = json.dumps(response).encode()
    # The URL is presigned without a content type: an empty one, as AWS's cfn-response sends.
    request = urllib.request.Request(  # noqa: S310 (CloudFormation's https URL, or a test's local receiver)
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=_RESPONSE_TIMEOUT_S) as answer:  # noqa: S310
        answer.read()


def _apply(properties: dict[str, Any], env: dict[str, str]) -> Outcome:
    try:
        owner_url = _owner_url(_secret(properties, "OwnerSecretArn"), env)
        app_password = _app_password(_secret(properties, "AppSecretArn"))
    except DeployFailure as exc:
        return Outcome("FAILED", str(exc), {})
    try:
        applied = schema.migrate(owner_url, app_password=app_password)
    except DatabaseError as exc:
        return Outcome("FAILED", _failed_migration_reason(owner_url, exc), {})
    except (InterfaceError, OSError) as exc:
        return Outcome("FAILED", f"Could not reach the database as its owner ({type(exc).__name__})", {})
    version = _schema_version(owner_url)
    summary = ", ".join(applied) if applied else "none pending"
    return Outcome(
        "SUCCESS",
        f"Schema at version {version}; applied {summary}; {schema.APP_ROLE} password set from the app secret",
        {"SchemaVersion": str(version), "Applied": str(len(applied))},
    )


def _secret(properties: dict[str, Any], name: str) -> str:
    arn = properties.get(name)
    if not arn:
        raise DeployFailure(f"The resource's {name} property is missing")
    import boto3  # only here: the handler's import stays cheap, and it reads fresh (a rotated password) every time
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
    except ClientError as exc:
        raise DeployFailure(f"Could not read {name}: {exc.response['Error'].get('Code', 'error')}") from None
    except (BotoCoreError, KeyError) as exc:
        raise DeployFailure(f"Could not read {name} ({type(exc).__name__})") from None


def _owner_url(secret: str, env: dict[str, str]) -> str:
    try:
        return _db_url_from_rds_secret(secret, env)
    except (ValueError, KeyError, TypeError) as exc:
        raise DeployFailure(
            f"The owner secret is not an RDS secret with host, username and password ({type(exc).__name__})"
        ) from None


def _app_password(secret: str) -> str:
    try:
        data = json.loads(secret)
        username, password = data["username"], data["password"]
    except (ValueError, KeyError, TypeError):
        raise DeployFailure("The app secret is not an RDS secret with username and password") from None
    if username != schema.APP_ROLE:
        # The migrations grant to this role by name: a secret for another user would leave the API unable to log in.
        raise DeployFailure(f"The app secret's username must be {schema.APP_ROLE}")
    if not isinstance(password, str) or not password:
        raise DeployFailure("The app secret's password is empty")
    return password


def _schema_version(owner_url: str) -> int:
    conn = pg8000.native.Connection(**connect_params(owner_url), application_name="aurion-migrate")
    try:
        rows = conn.run("SELECT coalesce(max(version), 0) FROM schema_migrations")
    finally:
        conn.close()
    return int(rows[0][0])


def _failed_migration_reason(owner_url: str, exc: DatabaseError) -> str:
    said = f"{sqlstate(exc) or 'error'} {server_message(exc)}".strip()
    try:
        conn = pg8000.native.Connection(**connect_params(owner_url), application_name="aurion-migrate")
        try:
            done = {row[0] for row in conn.run("SELECT version FROM schema_migrations")}
        finally:
            conn.close()
    except (DatabaseError, InterfaceError, OSError):
        return f"Migrations failed: {said}"
    # migrate applies in order and stops at the first failure: the first one not recorded is the one that failed.
    failed = next((name for version, name, _ in schema.migration_files() if version not in done), None)
    version = max(done, default=0)
    if failed is None:  # every migration is recorded: setting the app role's password failed
        return f"Setting the {schema.APP_ROLE} password failed: {said}; schema at version {version}"
    return f"Migration {failed} failed and was rolled back: {said}; schema left at version {version}"
