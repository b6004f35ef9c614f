"""Property-based fuzzing of docs/openapi.json (schemathesis) through the local gateway, over real HTTP.

Every operation the document lists (read from the document: a route added tomorrow is fuzzed tomorrow) is
called with generated parameters and bodies, valid ones and, in schemathesis' coverage phase, boundary and
invalid ones, by the admin of a small seeded tenant. The requests go through the template's real authorizer and
functions to a PostgreSQL database of this module's own, so the exports and schedules the fuzzer creates never
reach the session's database (whose scheduler tests read schedules across tenants); S3 and SQS are moto. Each
response must not be a 5xx and must conform to the document (a documented status, content type, headers and
body schema), and an operation that succeeded must refuse the same request without credentials and with bad
ones (schemathesis' ignored_auth). Deterministic tests below prove the refusals on every operation, and that
every export the fuzzer queued is real work the worker completes.

Bounded here (FUZZ_MAX_EXAMPLES, default 5 per operation, fixed seed) to stay a few seconds of `make test`;
`make fuzz` runs this module with more examples.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pg8000.native
import pytest
import requests
import schemathesis
from moto import mock_aws
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import aurion.clock
from aurion.auth.tokens import issue_token
from aurion.db import connect_params, reset_database
from aurion.exports.aws import reset_clients
from aurion.exports.config import get_export_config
from aurion.exports.delivery_config import get_delivery_config
from aurion.ratelimit import reset_limiters
from aurion.settings import get_settings
from local.exports_loop import WORKER_FUNCTION, sqs_event
from local.gateway import GatewayServer, make_server
from local.seed.generator import seed_tenant
from local.seed.spec import TenantSpec
from tests.conftest import SESSION_SECRET
from tests.support.clock import ORDINARY
from tests.support.database import REPO, create_test_database, drop_test_database
from tests.support.database import TestDatabase as Database
from tests.support.fuzz_shapes import shaped_cases

DOCUMENT = REPO / "docs" / "openapi.json"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
REGION = "eu-west-1"
BUCKET = "aurion-exports-fuzz"
EXPORT_PATH = "/api/v1/analytics/export"

schema = schemathesis.openapi.from_path(DOCUMENT)
# Same cases on every run; the session token is the fixture's, schemathesis must not invent credentials.
schema.config.generation.update(
    max_examples=MAX_EXAMPLES, deterministic=True, database="none", with_security_parameters=False
)
# One generated case in three becomes an input that once reached a 500: extreme dates, deep JSON, huge integers and
# headers, repeated keys, JSON sent as a form (tests/support/fuzz_shapes.py).
schema.hook(shaped_cases(DOCUMENT))
# Headers past API Gateway's limit are refused with 431 before any validation: a rejection like the others.
rejection = schema.config.checks.negative_data_rejection
rejection.expected_statuses = [*rejection.expected_statuses, "431"]
# Not positive_data_acceptance: the document cannot state the cross-field rules (date order, ranges of at most
# 366 days, membership of the time-zone database, a weekday for weekly schedules only), so schema-valid data is
# rejected with a 422 by design. Nor unsupported_method: API Gateway answers a method that a path does not route
# with the MISSING_AUTHENTICATION_TOKEN gateway response (our template makes it a 404), never with a 405.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
OPERATIONS = sorted(
    (method.upper(), path) for path, operations in json.loads(DOCUMENT.read_text())["paths"].items()
    for method in operations
)  # fmt: skip
# Behind the session authorizer: every operation but those the document marks `security: []` (the delivered
# download link, which its own token guards: tests/integration/test_export_delivered_link.py).
SESSION_OPERATIONS = sorted(
    (method.upper(), path) for path, operations in json.loads(DOCUMENT.read_text())["paths"].items()
    for method, operation in operations.items() if operation.get("security") != []
)  # fmt: skip


@dataclass(frozen=True)
class FuzzTarget:
    server: GatewayServer
    database: Database
    tenant_id: str
    token: str
    queue_url: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def fuzz_database() -> Iterator[Database]:
    """A database of this module's own: everything the fuzzer writes goes when it is dropped."""
    db = create_test_database()
    yield db
    reset_database()
    drop_test_database(db)


@pytest.fixture(scope="module")
def target(fuzz_database: Database) -> Iterator[FuzzTarget]:
    """The local gateway on a free port in front of a small seeded Enterprise tenant; S3 and SQS in moto."""
    spec = TenantSpec(
        slug="fuzz", conversations=300, calls=150, days=60, seed=7, plan="enterprise",
        end=ORDINARY,
    )  # fmt: skip
    seed_tenant(fuzz_database.admin_url, spec)
    with pytest.MonkeyPatch.context() as env, mock_aws():
        # The gateway runs the handlers in this process: the seeded data and every "now" share one fixed moment.
        env.setattr(aurion.clock, "now", lambda: ORDINARY)
        env.setenv("AURION_DB_URL", fuzz_database.app_url)
        env.setenv("AURION_SESSION_SECRET", SESSION_SECRET)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("EXPORTS_BUCKET", BUCKET)
        env.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
        for name in ("DB_SECRET_ARN", "SESSION_SECRET_ARN", "REDIS_URL", "AWS_ENDPOINT_URL"):
            env.delenv(name, raising=False)
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="exports-fuzz")["QueueUrl"]
        env.setenv("EXPORTS_QUEUE_URL", queue_url)
        # Export destinations: their delivery queue and a verified sender (a new outside address queues its code)
        delivery_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="deliveries-fuzz")["QueueUrl"]
        env.setenv("EXPORT_DELIVERY_QUEUE_URL", delivery_url)
        env.setenv("EXPORT_EMAIL_SENDER", "exports@aurion.test")
        env.delenv("EXPORT_WEBHOOK_ALLOW_PRIVATE", raising=False)
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="exports@aurion.test")
        _forget_cached_state()
        server = make_server("127.0.0.1", 0, REPO / "template.yaml", REPO)
        thread = server.serve_in_thread()
        token = issue_token(
            SESSION_SECRET, user_id=str(uuid.uuid4()), tenant_id=str(spec.tenant_id), role="tenant_admin",
            ttl_seconds=3600,
        )  # fmt: skip
        try:
            yield FuzzTarget(server, fuzz_database, str(spec.tenant_id), token, queue_url)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            _forget_cached_state()


def _forget_cached_state() -> None:
    get_settings.cache_clear()
    get_export_config.cache_clear()
    get_delivery_config.cache_clear()
    reset_clients()
    reset_database()
    reset_limiters()


@schema.parametrize()
def test_every_documented_operation_survives_fuzzing_and_answers_as_documented(case, target):
    # Given a generated request by the tenant's admin, when it goes through the gateway: no 5xx, a documented
    # status, content type, headers and body, and (for a success) a refusal without valid credentials
    case.call_and_validate(base_url=target.url, headers=target.auth, checks=CHECKS, allow_redirects=False)


def _concrete(path: str) -> str:
    """The document's path with every {parameter} filled in (a UUID: the shape of every id of this API)."""
    return "/".join(str(uuid.UUID(int=1)) if part.startswith("{") else part for part in path.split("/"))


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize(
    "credentials",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"X-API-Key": "itsm_x"}],
    ids=["none", "malformed bearer", "basic auth", "unknown api key"],
)
def test_every_documented_operation_refuses_a_request_without_a_valid_session(target, method, path, credentials):
    # Given a request without a valid dashboard session, when it reaches any documented operation
    response = requests.request(method, target.url + _concrete(path), headers=credentials, json={}, timeout=30)
    # Then the gateway refuses it, in the API's error shape
    assert response.status_code in (401, 403), response.text
    assert set(response.json()) == {"detail"}


def test_an_expired_or_foreign_signed_session_is_a_401_on_every_operation(target):
    # Given a session that expired a minute ago, and one signed with another key
    expired = issue_token(
        SESSION_SECRET, user_id=str(uuid.uuid4()), tenant_id=target.tenant_id, role="tenant_admin", ttl_seconds=-60
    )
    forged = issue_token(
        "another-secret-that-is-long-enough-for-hs256!", user_id=str(uuid.uuid4()), tenant_id=target.tenant_id,
        role="tenant_admin", ttl_seconds=3600,
    )  # fmt: skip
    assert len(SESSION_OPERATIONS) == len(OPERATIONS) - 1
    for method, path in SESSION_OPERATIONS:
        for token in (expired, forged):
            # When either is used on any operation, then the authorizer answers 401
            response = requests.request(
                method, target.url + _concrete(path), headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            assert response.status_code == 401, (method, path, response.text)


def _drain_export_queue(target: FuzzTarget) -> None:
    """What the SQS event source mapping does: batches to the worker, deleting what it did not report failed."""
    sqs = boto3.client("sqs", region_name=REGION)
    arn = sqs.get_queue_attributes(QueueUrl=target.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    while messages := sqs.receive_message(
        QueueUrl=target.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
    ).get("Messages", []):
        result: dict[str, Any] = target.server.gateway.runtime.invoke(WORKER_FUNCTION, sqs_event(messages, arn, REGION))
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        assert not failed, f"the worker failed on {len(failed)} export(s)"
        for message in messages:
            sqs.delete_message(QueueUrl=target.queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_every_export_the_fuzzer_queued_is_completed_by_the_worker(target):
    # Given the exports the fuzzer created (when it ran first) and one of every format made here
    today = ORDINARY.date()
    for fmt in ("csv", "json", "xlsx", "pdf"):
        body = {"format": fmt, "scope": "all", "start_date": str(today - timedelta(days=59)), "end_date": str(today)}
        response = requests.post(target.url + EXPORT_PATH, headers=target.auth, json=body, timeout=30)
        assert response.status_code == 200, response.text
    # When the worker consumes the queue
    _drain_export_queue(target)
    # Then every export of the tenant is a file in S3
    conn = pg8000.native.Connection(**connect_params(target.database.admin_url))
    try:
        statuses = conn.run(
            "SELECT status, count(*) FROM exports WHERE tenant_id = CAST(:t AS uuid) GROUP BY status",
            t=target.tenant_id,
        )
    finally:
        conn.close()
    assert dict(statuses).keys() == {"succeeded"}, statuses
    assert dict(statuses)["succeeded"] >= 4
