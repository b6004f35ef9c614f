"""The export loop of the dev stack: what SQS's event source mapping and EventBridge do in AWS.

    loop = ExportsLoop.start(endpoint_url, invoke=server.gateway.runtime.invoke)
    ...
    loop.stop()

- `ensure_export_resources(endpoint_url)` creates the exports bucket, the queue and its dead-letter queue (the
  template's redrive policy: 3 receives) when missing, and sets EXPORTS_BUCKET / EXPORTS_QUEUE_URL for the
  functions. Idempotent: moto forgets everything between runs, a real endpoint keeps it. The bucket gets the
  template's CORS rule for the local origins (CORS_ALLOWED_ORIGINS), so a page fetches a presigned download as
  from the deployed bucket, also from a moto started with MOTO_DISABLE_GLOBAL_CORS=true.
- `ensure_export_resources` also creates the delivery queue and its DLQ (4 receives), verifies the e-mail sender
  identity in SES (moto refuses to send from an unverified one, as SES does) and sets EXPORT_DELIVERY_QUEUE_URL,
  EXPORT_EMAIL_SENDER and EXPORT_WEBHOOK_ALLOW_PRIVATE=true: the dev stack's explicit setting that lets a webhook
  target a local receiver (http://127.0.0.1:...), which the deployed functions refuse.
- The same thread polls the delivery queue into the delivery function after each export poll, so a finished
  export's e-mail (moto's SES) and webhook go out beside the worker.
- A background thread long-polls the export queue and hands each batch to the worker function as a Lambda SQS
  event; it deletes the messages the worker did not report as failed (ReportBatchItemFailures), the others come
  back after their visibility timeout and, after 3 receives, move to the DLQ, as in AWS. Every minute (at :00)
  it fires the scheduler function with an EventBridge "Scheduled Event".
- `invoke(logical_id, event)` runs a function: pass the local gateway's runtime (LambdaRuntime.invoke), which
  runs one invocation at a time, so the worker never shares the process's database connection with a request.
  Without it, the handlers are imported directly (for scripts and tests).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.cfn import Resolver, load_template
from local.paths import TEMPLATE
from local.sam_model import environment_parameters

log = logging.getLogger("local.exports")

WORKER_FUNCTION = "ExportWorkerFunction"
DELIVERY_FUNCTION = "ExportDeliveryFunction"
DELIVERY_MAX_RECEIVE_COUNT = 4
LOCAL_EMAIL_SENDER = "exports@aurion.local"
SCHEDULER_FUNCTION = "ExportSchedulerFunction"
DEFAULT_RESOURCE = "aurion-exports-local"
MAX_RECEIVE_COUNT = 3
# Short locally so a failed attempt comes back within a minute (the worker also shortens it on failure).
LOCAL_VISIBILITY_TIMEOUT_S = 60
SCHEDULE_PERIOD_S = 60

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class ExportResources:
    bucket: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    region: str
    delivery_queue_url: str = ""
    delivery_queue_arn: str = ""
    delivery_dlq_url: str = ""


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"


# What ensure_export_resources puts in the process environment for the functions: a test that makes its own
# resources forgets these first, or it would reuse the queues of a moto server that is gone.
EXPORT_ENVIRONMENT = (
    "EXPORTS_BUCKET", "EXPORTS_QUEUE_URL", "EXPORT_DELIVERY_QUEUE_URL", "EXPORT_EMAIL_SENDER",
    "EXPORT_WEBHOOK_ALLOW_PRIVATE", "EXPORT_MAX_RECEIVES", "EXPORT_DELIVERY_MAX_RECEIVES",
)  # fmt: skip


def ensure_export_resources(endpoint_url: str | None, name: str = DEFAULT_RESOURCE) -> ExportResources:
    """Bucket, queue and DLQ (created when missing); exports EXPORTS_BUCKET and EXPORTS_QUEUE_URL."""
    import boto3

    region = _region()
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
    sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
    bucket = os.environ.get("EXPORTS_BUCKET") or name
    # us-east-1 is the one region that refuses a LocationConstraint naming itself.
    location: dict[str, Any] = (
        {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    with suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": bucket_cors_rules()})
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    queue_url = os.environ.get("EXPORTS_QUEUE_URL") or sqs.create_queue(QueueName=name)["QueueUrl"]
    # Applied to an existing queue too, so a queue made by an older stack gains its DLQ.
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT_S)},
    )
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    delivery_dlq_url = sqs.create_queue(QueueName=f"{name}-delivery-dlq")["QueueUrl"]
    delivery_dlq_arn = sqs.get_queue_attributes(QueueUrl=delivery_dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    delivery_redrive = json.dumps(
        {"deadLetterTargetArn": delivery_dlq_arn, "maxReceiveCount": str(DELIVERY_MAX_RECEIVE_COUNT)}
    )
    delivery_queue_url = (
        os.environ.get("EXPORT_DELIVERY_QUEUE_URL") or sqs.create_queue(QueueName=f"{name}-delivery")["QueueUrl"]
    )
    sqs.set_queue_attributes(
        QueueUrl=delivery_queue_url,
        Attributes={"RedrivePolicy": delivery_redrive, "VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT_S)},
    )
    delivery_queue_arn = sqs.get_queue_attributes(QueueUrl=delivery_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sender = os.environ.get("EXPORT_EMAIL_SENDER") or LOCAL_EMAIL_SENDER
    boto3.client("ses", endpoint_url=endpoint_url, region_name=region).verify_email_identity(EmailAddress=sender)
    os.environ["EXPORTS_BUCKET"] = bucket
    os.environ["EXPORTS_QUEUE_URL"] = queue_url
    os.environ["EXPORT_DELIVERY_QUEUE_URL"] = delivery_queue_url
    os.environ["EXPORT_EMAIL_SENDER"] = sender
    os.environ.setdefault("EXPORT_WEBHOOK_ALLOW_PRIVATE", "true")
    os.environ.setdefault("EXPORT_MAX_RECEIVES", str(MAX_RECEIVE_COUNT))
    os.environ.setdefault("EXPORT_DELIVERY_MAX_RECEIVES", str(DELIVERY_MAX_RECEIVE_COUNT))
    return ExportResources(
        bucket=bucket,
        queue_url=queue_url,
        queue_arn=queue_arn,
        dlq_url=dlq_url,
        region=region,
        delivery_queue_url=delivery_queue_url,
        delivery_queue_arn=delivery_queue_arn,
        delivery_dlq_url=delivery_dlq_url,
    )


# The template's CorsRules property names, as S3's PutBucketCors calls them.
_CORS_RULE_FIELDS = {
    "Id": "ID",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "AllowedHeaders": "AllowedHeaders",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
}


def bucket_cors_rules(template_path: Path = TEMPLATE, environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """ExportsBucket's CORS rules as template.yaml declares them, for this environment's origins (CORS_ALLOWED_ORIGINS
    stands for CorsAllowedOrigins, as it does for the local gateway): one rule, not a copy of it."""
    template = load_template(template_path)
    overrides = environment_parameters(template, os.environ if environ is None else environ)
    properties = template["Resources"]["ExportsBucket"]["Properties"]
    resolved = Resolver(template, overrides).resolve(properties.get("CorsConfiguration") or {})
    return [
        {_CORS_RULE_FIELDS[name]: value for name, value in rule.items() if name in _CORS_RULE_FIELDS}
        for rule in resolved.get("CorsRules") or []
    ]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda event of an SQS event source mapping for messages from ReceiveMessage (AttributeNames=All)."""
    records = []
    for message in messages:
        body = message.get("Body", "")
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": body,
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": message.get("MessageAttributes") or {},
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def scheduled_event(now: datetime, region: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/export-scheduler"],
        "detail": {},
    }


class _Context:
    def __init__(self, name: str, timeout_s: int) -> None:
        self.function_name = name
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def direct_invoke() -> Invoke:
    from local.function_loader import import_function
    from local.paths import REPO_ROOT, ensure_layer_on_path

    ensure_layer_on_path()
    handlers: dict[str, Callable[..., Any]] = {}
    folders = {
        WORKER_FUNCTION: "export_worker",
        SCHEDULER_FUNCTION: "export_scheduler",
        DELIVERY_FUNCTION: "export_delivery",
    }
    lock = threading.Lock()

    def invoke(logical_id: str, event: dict[str, Any]) -> Any:
        with lock:
            if logical_id not in handlers:
                path = REPO_ROOT / "functions" / folders[logical_id] / "app.py"
                module = import_function(path, folders[logical_id])
                handlers[logical_id] = module.lambda_handler
            return handlers[logical_id](event, _Context(logical_id, 900))

    return invoke


class ExportsLoop:
    """Polls the export queue into the worker and fires the scheduler every minute, in one daemon thread."""

    def __init__(
        self,
        endpoint_url: str | None,
        *,
        invoke: Invoke | None = None,
        resources: ExportResources | None = None,
        schedule_period_s: float = SCHEDULE_PERIOD_S,
        wait_time_s: int = 1,
    ) -> None:
        self.resources = resources or ensure_export_resources(endpoint_url)
        self._endpoint_url = endpoint_url
        self._invoke = invoke or direct_invoke()
        self._schedule_period_s = schedule_period_s
        self._wait_time_s = wait_time_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_schedule = 0.0
        self.processed = 0

    @classmethod
    def start(cls, endpoint_url: str | None, **kwargs: Any) -> ExportsLoop:
        loop = cls(endpoint_url, **kwargs)
        loop.start_thread()
        return loop

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="local-exports-loop", daemon=True)
        self._thread.start()
        log.info("export loop: polling %s", self.resources.queue_url)

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _sqs(self) -> Any:
        import boto3

        return boto3.client("sqs", endpoint_url=self._endpoint_url, region_name=self.resources.region)

    def _run(self) -> None:
        sqs = self._sqs()
        while not self._stop.is_set():
            try:
                if time.monotonic() >= self._next_schedule:
                    self._fire_scheduler()
                self.poll_once(sqs)
                self.poll_deliveries_once(sqs)
            except Exception:
                log.exception("export loop iteration failed")
                self._stop.wait(2)

    def _fire_scheduler(self) -> None:
        # Aligned on the minute, like cron(* * * * ? *).
        now = time.time()
        self._next_schedule = time.monotonic() + self._schedule_period_s - (now % self._schedule_period_s)
        try:
            result = self._invoke(SCHEDULER_FUNCTION, scheduled_event(datetime.now(UTC), self.resources.region))
            if isinstance(result, dict) and result.get("claimed"):
                log.info("export scheduler: %s", result)
        except Exception as exc:
            log.warning("export scheduler failed: %s", type(exc).__name__)

    def poll_once(self, sqs: Any | None = None) -> int:
        """Receive one batch and run the worker on it; returns the number of messages handed over."""
        return self._poll(sqs, self.resources.queue_url, self.resources.queue_arn, WORKER_FUNCTION, self._wait_time_s)

    def poll_deliveries_once(self, sqs: Any | None = None, wait_time_s: int = 0) -> int:
        """Receive one delivery message (the template's BatchSize) and run the delivery function on it."""
        return self._poll(
            sqs, self.resources.delivery_queue_url, self.resources.delivery_queue_arn, DELIVERY_FUNCTION, wait_time_s
        )

    def _poll(self, sqs: Any | None, queue_url: str, queue_arn: str, function: str, wait_time_s: int) -> int:
        if not queue_url:
            return 0
        sqs = sqs or self._sqs()
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=1,  # the template's BatchSize
            WaitTimeSeconds=wait_time_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages") or []
        if not messages:
            return 0
        event = sqs_event(messages, queue_arn, self.resources.region)
        try:
            result = self._invoke(function, event)
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception as exc:  # a crashed invocation: the whole batch comes back, as in AWS
            log.warning("%s failed: %s", function, type(exc).__name__)
            failed = {message["MessageId"] for message in messages}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(done)],
            )
        self.processed += len(messages)
        return len(messages)
