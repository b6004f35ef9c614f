"""The rollup fan-out of the dev stack: the rollup queue in moto, and the queue polled into the worker.

    loop = AggregatorLoop.start(endpoint_url, invoke=server.gateway.runtime.invoke)
    ...
    loop.stop()

- `ensure_aggregator_resources(endpoint_url)` creates what template.yaml deploys, when missing: the rollup queue
  and its dead-letter queue (the template's maxReceiveCount), and sets AGGREGATOR_QUEUE_URL for the dispatcher
  (AggregatorFunction, on its rate schedule: local/rate_schedule.py) and the worker. Idempotent.
- A background thread does what Lambda's SQS event source mapping does: it receives up to the template's
  BatchSize, invokes AggregatorWorkerFunction, and deletes what was not reported as failed; a busy tenant's job
  comes back after the worker's short retry delay. One worker at a time here (the local runtime runs one
  invocation at a time); the template's MaximumConcurrency is simulated by the benchmark (local/bench/tenants.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from local.cfn import load_template
from local.exports_loop import sqs_event
from local.paths import TEMPLATE
from local.queue_loop import Invoke, QueueLoop
from local.queue_loop import direct_invoke as invoke_in_process

WORKER_FUNCTION = "AggregatorWorkerFunction"
DEFAULT_RESOURCE = "aurion-rollups-local"
LOCAL_VISIBILITY_TIMEOUT_S = 60


@dataclass(frozen=True)
class AggregatorResources:
    endpoint_url: str | None
    queue_url: str
    queue_arn: str
    dlq_url: str
    region: str


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"


def template_queue() -> tuple[int, int]:
    """(the worker mapping's BatchSize, the rollup queue's maxReceiveCount) as template.yaml declares them."""
    resources = load_template(TEMPLATE)["Resources"]
    redrive = resources["AggregatorQueue"]["Properties"]["RedrivePolicy"]
    return int(resources["AggregatorQueueMapping"]["Properties"]["BatchSize"]), int(redrive["maxReceiveCount"])


def ensure_aggregator_resources(endpoint_url: str | None, name: str = DEFAULT_RESOURCE) -> AggregatorResources:
    from local.ingest_loop import _client

    region = _region()
    sqs = _client("sqs", endpoint_url, region)
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(template_queue()[1])})
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT_S)},
    )
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    os.environ["AGGREGATOR_QUEUE_URL"] = queue_url
    return AggregatorResources(endpoint_url, queue_url, queue_arn, dlq_url, region)


def direct_invoke() -> Invoke:
    return invoke_in_process("aggregator_worker", 300)


class AggregatorLoop(QueueLoop):
    """Polls the rollup queue into the worker, a batch at a time."""

    thread_name = "local-aggregator-loop"

    def __init__(
        self,
        endpoint_url: str | None,
        *,
        invoke: Invoke | None = None,
        resources: AggregatorResources | None = None,
        wait_time_s: int = 1,
    ) -> None:
        self.resources = resources or ensure_aggregator_resources(endpoint_url)
        self._invoke = invoke or direct_invoke()
        self.batch_size = template_queue()[0]
        super().__init__(wait_time_s=wait_time_s)

    def advertise(self) -> None:
        """Nothing to advertise: only the dispatcher sends to this queue."""

    def withdraw(self) -> None:
        """Nothing was advertised."""

    def poll_once(self, sqs: Any | None = None) -> int:
        from local.ingest_loop import _client

        sqs = sqs or _client("sqs", self.resources.endpoint_url, self.resources.region)
        messages = sqs.receive_message(
            QueueUrl=self.resources.queue_url, MaxNumberOfMessages=min(10, self.batch_size),
            WaitTimeSeconds=self._wait_time_s, AttributeNames=["All"],
        ).get("Messages") or []  # fmt: skip
        if not messages:
            return 0
        try:
            result = self._invoke(WORKER_FUNCTION, sqs_event(messages, self.resources.queue_arn, self.resources.region))
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception as exc:  # a crashed invocation: the whole batch comes back, as in AWS
            self.log.warning("rollup worker failed: %s", type(exc).__name__)
            failed = {message["MessageId"] for message in messages}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=self.resources.queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(done)],
            )
        self.processed += len(messages)
        return len(messages)
