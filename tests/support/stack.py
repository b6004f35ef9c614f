"""The deployed stack in one process: the local gateway (template.yaml's routes, the real authorizer, every
function), moto for S3 and SQS, and the session's PostgreSQL as the app role.

`local_stack()` is a context manager so a module-scoped fixture can hold one stack for many tests (a new
gateway is a cold start of every function: too slow to repeat per test). Tenants are seeded with the
deterministic data generator (contacts with emails and phones, calls with transcripts, ...).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pg8000.native
import pytest
from moto import mock_aws

from aurion.auth.tokens import issue_token
from aurion.db import reset_database
from aurion.exports.aws import reset_clients
from aurion.exports.config import get_export_config
from aurion.ratelimit import reset_limiters
from aurion.settings import get_settings
from local.exports_loop import WORKER_FUNCTION, sqs_event
from local.gateway import Gateway, GatewayResult
from local.seed import TenantSpec, seed_tenant
from tests.support.database import REPO, TestDatabase

SESSION_SECRET = "stack-session-secret-that-is-long-enough-for-hs256"
REGION = "eu-west-1"
BUCKET = "aurion-exports-stack"
# The seeded window: the ten days up to this instant.
SEED_END = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
V2_RANGE = "date_from=2026-02-27T00:00:00Z&date_to=2026-03-09T23:59:59Z"
V1_RANGE = "start_date=2026-02-27&end_date=2026-03-09"


@dataclass
class Stack:
    gateway: Gateway
    owner: pg8000.native.Connection
    database: TestDatabase
    s3: Any
    sqs: Any
    queue_url: str
    queue_arn: str
    dlq_url: str
    # The stack's environment: a test changes a setting through it, so the change ends with the stack.
    env: pytest.MonkeyPatch
    tokens: list[str] = field(default_factory=list)

    def seed(self, prefix: str, *, seed: int, conversations: int = 120, calls: int = 40) -> uuid.UUID:
        """A Professional tenant with ten days of generated data; returns its id."""
        spec = TenantSpec(
            slug=f"{prefix}-{uuid.uuid4().hex[:8]}",
            conversations=conversations,
            calls=calls,
            days=10,
            seed=seed,
            end=SEED_END,
        )
        seed_tenant(self.database.admin_url, spec)
        return spec.tenant_id

    def token(self, role: str, tenant: Any, user_id: str | None = None, ttl_seconds: int = 3600) -> str:
        token = issue_token(
            SESSION_SECRET,
            user_id=user_id or str(uuid.uuid4()),
            tenant_id=str(tenant),
            role=role,
            ttl_seconds=ttl_seconds,
        )
        self.tokens.append(token)
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> GatewayResult:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        raw = None
        if body is not None:
            raw = body if isinstance(body, str) else json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        return self.gateway.invoke(method, path, sent, raw)

    def configure(self, **variables: str) -> None:
        """Change settings as a new deployment would: functions re-read them, the connection is dropped."""
        for name, value in variables.items():
            self.env.setenv(name, value)
        _forget_cached_state()

    def receive(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        )
        return list(response.get("Messages", []))

    def run_worker(self) -> dict[str, Any]:
        """What the SQS event source mapping does: receive, invoke the worker, delete what did not fail."""
        messages = self.receive()
        if not messages:
            return {"batchItemFailures": [], "received": 0}
        result = self.gateway.runtime.invoke(WORKER_FUNCTION, sqs_event(messages, self.queue_arn, REGION))
        failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return {**result, "received": len(messages)}


def _forget_cached_state() -> None:
    get_settings.cache_clear()
    get_export_config.cache_clear()
    reset_database()
    reset_limiters()
    reset_clients()


@contextmanager
def local_stack(database: TestDatabase, owner: pg8000.native.Connection) -> Iterator[Stack]:
    """The gateway over the template, with the environment a deployed function sees (app role, moto)."""
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.setenv("AURION_DB_URL", database.app_url)
        env.setenv("AURION_SESSION_SECRET", SESSION_SECRET)
        env.setenv("CORS_ALLOWED_ORIGINS", "http://localhost:5173")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("EXPORTS_BUCKET", BUCKET)
        env.setenv("EXPORT_RETRY_BASE_SECONDS", "0")
        env.setenv("EXPORT_MAX_RECEIVES", "3")
        for name in ("DB_SECRET_ARN", "SESSION_SECRET_ARN", "REDIS_URL", "AWS_ENDPOINT_URL"):
            env.delenv(name, raising=False)
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        dlq_url = sqs.create_queue(QueueName="stack-exports-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName="stack-exports",
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})},
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        env.setenv("EXPORTS_QUEUE_URL", queue_url)
        _forget_cached_state()
        try:
            yield Stack(
                gateway=Gateway(REPO / "template.yaml", REPO),
                owner=owner,
                database=database,
                s3=s3,
                sqs=sqs,
                queue_url=queue_url,
                queue_arn=queue_arn,
                dlq_url=dlq_url,
                env=env,
            )
        finally:
            _forget_cached_state()
