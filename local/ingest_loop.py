"""The live ingest path of the dev stack: the bus, rule and queues in moto, and the queue polled into the function.

    loop = IngestLoop.start(endpoint_url, invoke=server.gateway.runtime.invoke)
    ...
    loop.stop()

    python -m local.ingest_loop send --file events/ingest_demo.ndjson --tenant acme     (make ingest FILE=… TENANT=…)

- `ensure_ingest_resources(endpoint_url)` creates what template.yaml deploys, when missing: the ingest bus, a
  rule forwarding every event of source aurionai.helpdesk to the ingest queue, and the queue's dead-letter queue
  (maxReceiveCount 5, as deployed). Idempotent.
- A background thread does what Lambda's SQS event source mapping does: it gathers up to the template's
  BatchSize messages within its MaximumBatchingWindowInSeconds, invokes the ingest function with them, and
  deletes the ones not reported as failed; the others come back after the (local, short) visibility timeout.
- While it runs, .local/ingest.json says where the bus is, so `make ingest` publishes to it: each line of the file
  is one event (NDJSON); a line without tenant_id gets the tenant of --tenant (a slug or an id).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from local.cfn import load_template
from local.exports_loop import sqs_event
from local.paths import LOCAL_DIR, TEMPLATE
from local.queue_loop import Invoke, QueueLoop
from local.queue_loop import direct_invoke as invoke_in_process

log = logging.getLogger("local.ingest")

INGEST_FUNCTION = "IngestFunction"
SOURCE = "aurionai.helpdesk"
DEFAULT_RESOURCE = "aurion-ingest-local"
MAX_RECEIVE_COUNT = 5
LOCAL_VISIBILITY_TIMEOUT_S = 30
STATE_FILE = LOCAL_DIR / "ingest.json"
PUT_EVENTS_MAX_ENTRIES = 10  # EventBridge's limit per PutEvents call


@dataclass(frozen=True)
class IngestResources:
    endpoint_url: str | None
    bus_name: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    region: str


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"


def _client(service: str, endpoint_url: str | None, region: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


def ensure_ingest_resources(endpoint_url: str | None, name: str = DEFAULT_RESOURCE) -> IngestResources:
    region = _region()
    sqs, events = _client("sqs", endpoint_url, region), _client("events", endpoint_url, region)
    with suppress(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=name)
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT_S)},
    )
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name=f"{name}-to-queue", EventBusName=name, EventPattern=json.dumps({"source": [SOURCE]}), State="ENABLED"
    )
    events.put_targets(Rule=f"{name}-to-queue", EventBusName=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return IngestResources(endpoint_url, name, queue_url, queue_arn, dlq_url, region)


def template_batching(template_path: Path = TEMPLATE) -> tuple[int, float]:
    """(BatchSize, MaximumBatchingWindowInSeconds) of the ingest function's event source mapping in template.yaml."""
    for resource in load_template(template_path)["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventSourceMapping" and properties.get("FunctionName") == {
            "Ref": INGEST_FUNCTION
        }:
            return int(properties["BatchSize"]), float(properties.get("MaximumBatchingWindowInSeconds", 0))
    raise ValueError(f"{INGEST_FUNCTION} has no event source mapping in {template_path}")


def direct_invoke() -> Invoke:
    return invoke_in_process("ingest", 60)


class IngestLoop(QueueLoop):
    """Polls the ingest queue into the ingest function, batching as the event source mapping does."""

    thread_name = "local-ingest-loop"

    def __init__(
        self,
        endpoint_url: str | None,
        *,
        invoke: Invoke | None = None,
        resources: IngestResources | None = None,
        batching: tuple[int, float] | None = None,
        wait_time_s: int = 1,
    ) -> None:
        self.resources = resources or ensure_ingest_resources(endpoint_url)
        self._invoke = invoke or direct_invoke()
        self.batch_size, self.window_s = batching or template_batching()
        super().__init__(wait_time_s=wait_time_s)

    def advertise(self) -> None:
        write_state(self.resources)

    def withdraw(self) -> None:
        with suppress(FileNotFoundError):
            STATE_FILE.unlink()

    def poll_once(self, sqs: Any | None = None) -> int:
        """Gather one batch (up to BatchSize within the batching window) and run the function on it."""
        sqs = sqs or _client("sqs", self.resources.endpoint_url, self.resources.region)
        messages: list[dict[str, Any]] = []
        # As Lambda does: from the first message, keep receiving until the batch is full or the window is over.
        deadline = None
        while len(messages) < self.batch_size:
            remaining = 0.0 if deadline is None else deadline - time.monotonic()
            if deadline is not None and remaining <= 0:
                break
            response = sqs.receive_message(
                QueueUrl=self.resources.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                WaitTimeSeconds=self._wait_time_s if deadline is None else min(self._wait_time_s, int(remaining)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages") or []
            messages += received
            if not messages:
                break
            if deadline is None:
                deadline = time.monotonic() + self.window_s
            if not received:
                self._stop.wait(min(0.05, max(0.0, deadline - time.monotonic())))
        if not messages:
            return 0
        event = sqs_event(messages, self.resources.queue_arn, self.resources.region)
        try:
            result = self._invoke(INGEST_FUNCTION, event)
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception as exc:  # a crashed invocation: the whole batch comes back, as in AWS
            log.warning("ingest function failed: %s", type(exc).__name__)
            failed = {message["MessageId"] for message in messages}
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=self.resources.queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(chunk)],
            )
        self.processed += len(messages)
        return len(messages)


def write_state(resources: IngestResources) -> None:
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(asdict(resources), indent=2) + "\n")


def read_state() -> IngestResources:
    if not STATE_FILE.exists():
        raise SystemExit("error: no ingest bus running: start `make run` first")
    return IngestResources(**json.loads(STATE_FILE.read_text()))


def put_events(resources: IngestResources, events: Iterable[dict[str, Any]]) -> int:
    """PutEvents onto the bus, as the helpdesk does (10 entries per call); returns how many were accepted."""
    client = _client("events", resources.endpoint_url, resources.region)
    sent, batch = 0, []
    for event in [*events, None]:
        if event is not None:
            batch.append(
                {
                    "EventBusName": resources.bus_name,
                    "Source": SOURCE,
                    "DetailType": str(event.get("type")),
                    "Detail": json.dumps(event),
                }
            )
        if batch and (event is None or len(batch) == PUT_EVENTS_MAX_ENTRIES):
            response = client.put_events(Entries=batch)
            sent += len(batch) - int(response.get("FailedEntryCount", 0))
            batch = []
    return sent


def read_events(path: Path, tenant_id: str) -> list[dict[str, Any]]:
    """The file's events (one JSON object a line, blank lines skipped), each with tenant_id set."""
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        event = json.loads(line)
        if not isinstance(event, dict):
            raise SystemExit(f"error: {path}:{number}: not a JSON object")
        named = event.setdefault("tenant_id", tenant_id)
        if named != tenant_id:
            raise SystemExit(f"error: {path}:{number}: tenant_id {named} is not the tenant given ({tenant_id})")
        events.append(event)
    return events


def resolve_tenant(tenant: str) -> str:
    """A tenant id, or the id of the dev database's tenant with that slug."""
    with suppress(ValueError):
        return str(uuid.UUID(tenant))
    import pg8000.native

    from aurion.db_url import connect_params
    from local.stack import open_dev_database

    conn = pg8000.native.Connection(**connect_params(open_dev_database(start_embedded=False).admin_url))
    try:
        rows = conn.run("SELECT id::text FROM tenants WHERE slug = :slug", slug=tenant)
    finally:
        conn.close()
    if not rows:
        raise SystemExit(f"error: no tenant {tenant!r} in the dev database")
    return str(rows[0][0])


def main(argv: list[str] | None = None) -> None:
    from local.paths import ensure_layer_on_path

    ensure_layer_on_path()
    parser = argparse.ArgumentParser(prog="python -m local.ingest_loop", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="publish a file of events (NDJSON) onto the running stack's ingest bus")
    send.add_argument("--file", required=True, type=Path)
    send.add_argument("--tenant", required=True, help="slug or id; the tenant of lines without tenant_id")
    args = parser.parse_args(argv)
    resources = read_state()
    if resources.endpoint_url:
        # moto or LocalStack, as `make run` does: any credentials will do, but boto3 refuses to sign without.
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            os.environ.setdefault(name, value)
    events = read_events(args.file, resolve_tenant(args.tenant))
    sent = put_events(resources, events)
    print(f"published {sent} of {len(events)} events to {resources.bus_name}", file=sys.stderr)
    if sent != len(events):
        sys.exit(1)


if __name__ == "__main__":
    main()
