"""Helpers of the export tests: moto's bucket and queues, the exports API and worker as a tenant uses them, and
reading the files back. The fixtures built on them (aws, frozen_clock, exports) are in tests/integration/conftest.py.

AWS is moto (in-process): an exports bucket, the export queue with the template's redrive policy (3 receives)
and its DLQ. The worker is driven like the SQS event source mapping does: receive, invoke, delete what did
not fail. Time is moved on a fixed clock (tests/support/clock.py: aurion.clock, the export code's with it), never
by sleeping.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from aurion.exports.aws import reset_clients
from aurion.exports.config import get_export_config
from aurion.settings import get_settings
from local.exports_loop import sqs_event
from tests.support.api import FakeLambdaContext, caller_for, invoke, rest_event

BUCKET = "aurion-exports-test"
REGION = "eu-west-1"
EXPORT_PATH = "/api/v1/analytics/export"
LIST_PATH = "/api/v1/analytics/exports"
SCHEDULES_PATH = "/api/v1/analytics/export-schedules"


@dataclass
class Aws:
    s3: Any
    sqs: Any
    queue_url: str
    queue_arn: str
    dlq_url: str
    bucket: str = BUCKET

    def objects(self) -> list[str]:
        return [item["Key"] for item in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]

    def body(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def uploads_in_progress(self) -> list[Any]:
        return list(self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []))

    def receive(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        )
        return list(response.get("Messages", []))

    def depth(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)


def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """moto's bucket, queue and DLQ, the export settings pointed at them, for as long as the generator runs."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("EXPORTS_BUCKET", BUCKET)
    # Failed attempts come back at once (the worker shortens the visibility timeout to this backoff).
    monkeypatch.setenv("EXPORT_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("EXPORT_MAX_RECEIVES", "3")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        dlq_url = sqs.create_queue(QueueName="exports-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName="exports",
            Attributes={
                "VisibilityTimeout": "600",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
            },
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        monkeypatch.setenv("EXPORTS_QUEUE_URL", queue_url)
        get_settings.cache_clear()
        get_export_config.cache_clear()
        reset_clients()
        yield Aws(s3=s3, sqs=sqs, queue_url=queue_url, queue_arn=queue_arn, dlq_url=dlq_url)
    reset_clients()
    get_export_config.cache_clear()


@dataclass
class Exports:
    """The exports API and the worker, as an admin of one tenant (or another caller) uses them."""

    api: Any
    worker: Any
    aws: Aws
    tenant: uuid.UUID
    role: str = "tenant_admin"
    user: str = field(default_factory=lambda: str(uuid.uuid4()))

    def caller(self, role: str | None = None, tenant: Any = None) -> dict[str, str]:
        return caller_for(tenant or self.tenant, role or self.role, self.user)

    def request(self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None,
                role: str | None = None, tenant: Any = None) -> Any:  # fmt: skip
        return invoke(self.api, rest_event(method, path, caller=self.caller(role, tenant), body=body, headers=headers))

    def create(self, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.request("POST", EXPORT_PATH, body=body or export_body(), **kwargs)

    def create_ok(self, **fields: Any) -> dict[str, Any]:
        response = self.create(export_body(**fields))
        assert response.status == 200, response.body
        return dict(response.body)

    def listing(self, **kwargs: Any) -> Any:
        return self.request("GET", LIST_PATH, **kwargs)

    def download(self, export_id: str, **kwargs: Any) -> Any:
        return self.request("GET", f"/api/v1/analytics/export/{export_id}/download", **kwargs)

    def run_worker(self, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Hand the queue's messages to the worker; delete those it did not report as failed."""
        messages = self.aws.receive() if messages is None else messages
        if not messages:
            return {"batchItemFailures": [], "received": 0}
        result = self.worker.lambda_handler(sqs_event(messages, self.aws.queue_arn, REGION), FakeLambdaContext())
        failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                self.aws.sqs.delete_message(QueueUrl=self.aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return {**result, "received": len(messages)}

    def produce(self, **fields: Any) -> tuple[dict[str, Any], bytes]:
        """Create an export, run the worker, and return (the export's listing item, the file's bytes)."""
        created = self.create_ok(**fields)
        self.run_worker()
        item = self.item(created["export_id"])
        assert item["status"] == "succeeded", item
        key = next(key for key in self.aws.objects() if created["export_id"] in key)
        return item, self.aws.body(key)

    def item(self, export_id: str) -> dict[str, Any]:
        listing = self.listing()
        assert listing.status == 200, listing.body
        return dict(next(item for item in listing.body["exports"] if item["export_id"] == export_id))


def export_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08"}
    body.update(fields)
    return body


def audit_rows(owner, tenant: Any) -> list[dict[str, Any]]:
    rows = owner.run(
        "SELECT actor_user_id, action, target_redacted, result_count, request_id, outcome FROM audit_log "
        "WHERE tenant_id = :t ORDER BY id",
        t=tenant,
    )
    names = ["actor_user_id", "action", "target_redacted", "result_count", "request_id", "outcome"]
    return [dict(zip(names, row, strict=True)) for row in rows]


# -- reading the files back --


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_text(data: bytes) -> str:
    """Everything a PDF's content streams say, decompressed (fpdf2 writes text as literal strings)."""
    chunks = []
    # Each stream's exact byte length is in its dictionary: compressed bytes may end in a CR or LF.
    for match in re.finditer(rb"/Length (\d+)[^>]*>>\s*stream\r?\n", data):
        raw = data[match.end() : match.end() + int(match.group(1))]
        try:
            chunks.append(zlib.decompress(raw))
        except zlib.error:
            chunks.append(raw)
    text = b"\n".join(chunks).decode("latin-1")
    return text.replace("\\(", "(").replace("\\)", ")").replace("\\\\", "\\")


def readable_text(fmt: str, data: bytes) -> str:
    """All text of an export file, whatever its format: what a PII scan must look at."""
    if fmt == "pdf":
        return pdf_text(data) + data.decode("latin-1")
    if data[:2] == b"PK":  # xlsx, or a zip of CSV files
        return "\n".join(content.decode("utf-8") for content in unzip(data).values())
    return data.decode("utf-8")
