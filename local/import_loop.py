"""The bulk path of the dev stack: the import bucket, its notification and queues in moto, the queue polled into
the bulk_import function.

    loop = ImportLoop.start(endpoint_url, invoke=server.gateway.runtime.invoke)
    ...
    loop.stop()

    python -m local.import_loop send --file history.ndjson.gz --tenant acme     (make import FILE=… TENANT=…)

- `ensure_import_resources(endpoint_url)` creates what template.yaml deploys, when missing: the import bucket,
  the import queue and its dead-letter queue (maxReceiveCount 10, as deployed), and the bucket's notification of
  objects created under imports/ to the queue. Idempotent.
- A background thread does what Lambda's SQS event source mapping does at the template's BatchSize of 1: it
  receives a notification, invokes the function with it, and deletes it unless reported as failed (then it comes
  back after the local, short visibility timeout, and the load resumes from its checkpoint).
- While it runs, .local/imports.json says where the bucket is, so `make import` uploads to it under
  imports/<tenant_id>/<a new import id>/<the file's name>, and prints the import id to read its status with
  (GET /api/v1/analytics/imports/{import_id}).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from local.exports_loop import sqs_event
from local.ingest_loop import Invoke, _client, _region, resolve_tenant
from local.paths import LOCAL_DIR
from local.queue_loop import QueueLoop
from local.queue_loop import direct_invoke as invoke_in_process

log = logging.getLogger("local.imports")

BULK_IMPORT_FUNCTION = "BulkImportFunction"
DEFAULT_RESOURCE = "aurion-imports-local"
MAX_RECEIVE_COUNT = 10
LOCAL_VISIBILITY_TIMEOUT_S = 30
STATE_FILE = LOCAL_DIR / "imports.json"


@dataclass(frozen=True)
class ImportResources:
    endpoint_url: str | None
    bucket: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    region: str


def ensure_import_resources(endpoint_url: str | None, name: str = DEFAULT_RESOURCE) -> ImportResources:
    region = _region()
    s3, sqs = _client("s3", endpoint_url, region), _client("sqs", endpoint_url, region)
    with suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT_S)},
    )
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "imports/"}]}},
                }
            ]
        },
    )
    return ImportResources(endpoint_url, name, queue_url, queue_arn, dlq_url, region)


def direct_invoke() -> Invoke:
    return invoke_in_process("bulk_import", 900)


class ImportLoop(QueueLoop):
    """Polls the import queue into the bulk_import function, one notification at a time (BatchSize 1)."""

    thread_name = "local-import-loop"

    def __init__(
        self,
        endpoint_url: str | None,
        *,
        invoke: Invoke | None = None,
        resources: ImportResources | None = None,
        wait_time_s: int = 1,
    ) -> None:
        self.resources = resources or ensure_import_resources(endpoint_url)
        self._invoke = invoke or direct_invoke()
        super().__init__(wait_time_s=wait_time_s)

    def advertise(self) -> None:
        write_state(self.resources)

    def withdraw(self) -> None:
        with suppress(FileNotFoundError):
            STATE_FILE.unlink()

    def poll_once(self, sqs: Any | None = None) -> int:
        """Receive one notification and run the function on it; returns how many were received (0 or 1)."""
        sqs = sqs or _client("sqs", self.resources.endpoint_url, self.resources.region)
        response = sqs.receive_message(
            QueueUrl=self.resources.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=self._wait_time_s,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        )  # fmt: skip
        messages = response.get("Messages") or []
        if not messages:
            return 0
        event = sqs_event(messages, self.resources.queue_arn, self.resources.region)
        try:
            result = self._invoke(BULK_IMPORT_FUNCTION, event)
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception as exc:  # a crashed invocation: the message comes back, as in AWS
            log.warning("bulk_import function failed: %s", type(exc).__name__)
            failed = {message["MessageId"] for message in messages}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=self.resources.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.processed += len(messages)
        return len(messages)


def write_state(resources: ImportResources) -> None:
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(asdict(resources), indent=2) + "\n")


def read_state() -> ImportResources:
    if not STATE_FILE.exists():
        raise SystemExit("error: no import bucket running: start `make run` first")
    return ImportResources(**json.loads(STATE_FILE.read_text()))


def upload(resources: ImportResources, path: Path, tenant_id: str, import_id: str | None = None) -> str:
    """Upload the file under the tenant's import prefix (streamed from disk); returns its object key."""
    key = f"imports/{tenant_id}/{import_id or uuid.uuid4()}/{path.name}"
    _client("s3", resources.endpoint_url, resources.region).upload_file(str(path), resources.bucket, key)
    return key


def main(argv: list[str] | None = None) -> None:
    import os

    from local.paths import ensure_layer_on_path

    ensure_layer_on_path()
    parser = argparse.ArgumentParser(prog="python -m local.import_loop", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="upload a history file (NDJSON, gzip allowed) to the running stack's bucket")
    send.add_argument("--file", required=True, type=Path)
    send.add_argument("--tenant", required=True, help="slug or id: the tenant the prefix names")
    send.add_argument("--import-id", help="add the file to this import (default: a new one)")
    args = parser.parse_args(argv)
    resources = read_state()
    if resources.endpoint_url:
        # moto, as `make run` runs it: any credentials will do, but boto3 refuses to sign without.
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            os.environ.setdefault(name, value)
    key = upload(resources, args.file, resolve_tenant(args.tenant), args.import_id)
    import_id = key.split("/")[2]
    print(f"uploaded s3://{resources.bucket}/{key}", file=sys.stderr)
    print(f"status: GET /api/v1/analytics/imports/{import_id}", file=sys.stderr)
    print(import_id)


if __name__ == "__main__":
    main()
