"""The Custom::Migrations resource brings a real, empty PostgreSQL database to the current schema on deploy.

Each test gets a database of its own with nothing in it, the owner's and the app role's RDS secrets in moto's Secrets
Manager, and a local HTTP server as the presigned ResponseURL that CloudFormation reads the answer from.

The app role is cluster-wide (one per server, shared by every test database), so the app secret holds the password
every test database's app URL uses; that the deployment set it is shown by the role's SCRAM verifier, which a new
ALTER ROLE ... PASSWORD salts afresh, and which must verify the secret's password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pg8000.native
import pytest
from moto import mock_aws

import aurion.migrate
from aurion.db import connect_params
from local.function_loader import import_function
from tests.support.api import FakeLambdaContext
from tests.support.custom_resource import (
    ResponseReceiver,
    create_secret,
    rds_secret,
    request_event,
    response_receiver,
)
from tests.support.database import APP_PASSWORD, REPO, _with_database, server_url

ALL_VERSIONS = [version for version, _, _ in aurion.migrate.migration_files()]


@dataclass
class Deployment:
    """One empty database, its two secrets, and the migrations function as CloudFormation invokes it."""

    owner_url: str
    app_url: str
    properties: dict[str, Any]
    receiver: ResponseReceiver
    handler: Any
    secrets: Any

    def send(self, request_type: str, **kwargs: Any) -> dict[str, Any]:
        self.receiver.received.clear()
        event = request_event(request_type, self.receiver.url, self.properties, **kwargs)
        returned = self.handler.lambda_handler(event, FakeLambdaContext())
        answer = self.receiver.only()
        # The answer CloudFormation reads is the one PUT to the ResponseURL, with the empty content type it was
        # presigned for, and it names the request it answers.
        assert answer.method == "PUT"
        assert answer.content_type == ""
        assert answer.body == returned
        assert (answer.body["RequestId"], answer.body["StackId"]) == (event["RequestId"], event["StackId"])
        return answer.body

    def query(self, sql: str) -> list[list[Any]]:
        conn = pg8000.native.Connection(**connect_params(self.owner_url))
        try:
            return list(conn.run(sql))
        finally:
            conn.close()

    def versions(self) -> list[int]:
        return [row[0] for row in self.query("SELECT version FROM schema_migrations ORDER BY version")]

    def table_exists(self, name: str) -> bool:
        return bool(self.query(f"SELECT to_regclass('public.{name}') IS NOT NULL")[0][0])


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    base = server_url()
    name = f"aurion_deploy_{uuid.uuid4().hex[:10]}"
    admin = pg8000.native.Connection(**connect_params(_with_database(base, "postgres")))
    admin.run(f'CREATE DATABASE "{name}"')
    owner_url = _with_database(base, name)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        with mock_aws(), response_receiver() as receiver:
            secrets = boto3.client("secretsmanager", region_name="eu-west-1")
            properties = {
                "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:migrations",
                "OwnerSecretArn": create_secret(secrets, "aurion/owner", rds_secret(owner_url)),
                "AppSecretArn": create_secret(
                    secrets, "aurion/app", json.dumps({"username": "aurion_app", "password": APP_PASSWORD})
                ),
                "MigrationsVersion": "arn:aws:lambda:eu-west-1:123456789012:layer:SharedLayer:41",
            }
            handler = import_function(REPO / "functions" / "migrations" / "app.py", f"migrations_{name}")
            app_url = _with_database(base, name, "aurion_app", APP_PASSWORD)
            yield Deployment(owner_url, app_url, properties, receiver, handler, secrets)
    finally:
        admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def app_role_verifier(deployment: Deployment) -> str:
    return str(deployment.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'aurion_app'")[0][0])


def scram_verifies(verifier: str, password: str) -> bool:
    """Whether a PostgreSQL SCRAM-SHA-256 verifier (RFC 5803: iterations:salt$StoredKey:ServerKey) is password's."""
    method, iterations_salt, keys = verifier.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return method == "SCRAM-SHA-256" and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def test_the_verifier_check_tells_the_right_password_from_a_wrong_one(deployment):
    # Given the role's verifier after a deployment
    deployment.send("Create")
    verifier = app_role_verifier(deployment)
    # Then it verifies the secret's password and no other
    assert scram_verifies(verifier, APP_PASSWORD)
    assert not scram_verifies(verifier, APP_PASSWORD + "x")


def test_create_applies_every_migration_and_the_app_role_logs_in_with_the_secrets_password(deployment):
    # Given an empty database and the app role's verifier before the deployment
    verifier_before = app_role_verifier(deployment)
    # When CloudFormation creates the resource
    answer = deployment.send("Create")
    # Then it answers SUCCESS with the schema at the last version, every migration recorded once
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"SchemaVersion": str(ALL_VERSIONS[-1]), "Applied": str(len(ALL_VERSIONS))}
    assert answer["PhysicalResourceId"] == "Migrations-schema"
    assert deployment.versions() == ALL_VERSIONS
    # And the app role's password was set now, to the secret's
    verifier = app_role_verifier(deployment)
    assert verifier != verifier_before
    assert scram_verifies(verifier, APP_PASSWORD)
    # And the app role logs in with it and sees the schema (row level security: no tenant, no rows)
    app = pg8000.native.Connection(**connect_params(deployment.app_url))
    try:
        assert app.run("SELECT current_user, count(*) FROM tenants") == [["aurion_app", 0]]
    finally:
        app.close()


def test_a_second_create_or_an_update_applies_nothing(deployment):
    # Given a deployed schema
    first = deployment.send("Create")
    recorded = deployment.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    # When CloudFormation sends Create again (a retried invocation) and then an Update (a new layer version)
    again = deployment.send("Create")
    newer = dict(deployment.properties, MigrationsVersion="arn:aws:lambda:eu-west-1:123456789012:layer:SharedLayer:42")
    update = request_event("Update", deployment.receiver.url, newer, physical_id=first["PhysicalResourceId"],
                           old_properties=deployment.properties)  # fmt: skip
    deployment.receiver.received.clear()
    deployment.handler.lambda_handler(update, FakeLambdaContext())
    updated = deployment.receiver.only().body
    # Then both succeed, apply nothing, and keep the resource's id
    for answer in (again, updated):
        assert answer["Status"] == "SUCCESS", answer["Reason"]
        assert answer["Data"] == {"SchemaVersion": str(ALL_VERSIONS[-1]), "Applied": "0"}
        assert answer["PhysicalResourceId"] == first["PhysicalResourceId"]
    # And no migration ran again
    assert deployment.query("SELECT version, applied_at FROM schema_migrations ORDER BY version") == recorded


def test_a_broken_migration_answers_failed_and_leaves_the_schema_at_the_version_before_it(deployment, monkeypatch):
    # Given a deployed schema, then a release whose two new migrations are a good one and a broken one that creates
    # a table before it fails
    deployment.send("Create")
    released = aurion.migrate.migration_files()
    good = (9001, "9001_deploy_probe.sql", "CREATE TABLE deploy_probe (id integer);")
    broken = (9002, "9002_deploy_broken.sql", "CREATE TABLE deploy_half (id integer);\nSELECT 1 / 0;")
    monkeypatch.setattr(aurion.migrate, "migration_files", lambda: [*released, good, broken])
    # When CloudFormation updates the resource
    answer = deployment.send("Update", physical_id="Migrations-schema")
    # Then it answers FAILED, saying which migration failed, what the server said and where the schema stands
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "Migration 9002_deploy_broken.sql failed and was rolled back: 22012 division by zero; "
        "schema left at version 9001"
    )
    # And the broken migration left nothing (its table rolled back with it), the good one before it stays applied
    assert not deployment.table_exists("deploy_half")
    assert deployment.table_exists("deploy_probe")
    assert deployment.versions() == [*ALL_VERSIONS, 9001]
    # When the stack rolls back: CloudFormation updates the resource again with the previous release
    monkeypatch.setattr(aurion.migrate, "migration_files", lambda: released)
    rollback = deployment.send("Update", physical_id="Migrations-schema")
    # Then that succeeds and changes nothing: the previous release's migrations are all applied
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["Data"]["Applied"] == "0"
    assert deployment.versions() == [*ALL_VERSIONS, 9001]


def test_delete_answers_success_and_drops_nothing(deployment):
    # Given a deployed schema
    deployment.send("Create")
    # When the stack is deleted
    answer = deployment.send("Delete", physical_id="Migrations-schema")
    # Then the resource answers SUCCESS and every table and migration is still there
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == "Migrations-schema"
    assert deployment.versions() == ALL_VERSIONS
    assert deployment.table_exists("tenants")


def test_an_app_secret_for_another_user_fails_before_the_database_is_touched(deployment):
    # Given an app secret that names a user the migrations grant nothing to
    deployment.properties["AppSecretArn"] = create_secret(
        deployment.secrets, "aurion/other", json.dumps({"username": "someone_else", "password": "x" * 20})
    )
    # When CloudFormation creates the resource
    answer = deployment.send("Create")
    # Then it fails saying so, and no migration ran
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == "The app secret's username must be aurion_app"
    assert not deployment.table_exists("schema_migrations")


def test_an_unreadable_secret_answers_failed_with_the_service_error_code(deployment):
    # Given an owner secret ARN that does not exist
    deployment.properties["OwnerSecretArn"] = deployment.properties["OwnerSecretArn"] + "-gone"
    # When CloudFormation creates the resource
    answer = deployment.send("Create")
    # Then it fails naming the property and Secrets Manager's error code, and no migration ran
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == "Could not read OwnerSecretArn: ResourceNotFoundException"
    assert not deployment.table_exists("schema_migrations")
