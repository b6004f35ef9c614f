"""The rollup queue in moto (as template.yaml deploys it: a DLQ after MAX_RECEIVES), the dispatcher and worker
functions pointed at it, and what Lambda's event source mapping does with a batch: receive, invoke, delete what
was not reported as failed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from aurion.rollups import queue
from aurion.rollups.jobs import Job, parse_job
from aurion.settings import get_settings
from local.exports_loop import _Context, sqs_event

REGION = "eu-west-1"
MAX_RECEIVES = 10


@dataclass
class RollupQueue:
    sqs: Any
    url: str
    arn: str
    dlq_url: str

    def receive(self, limit: int = 10, visibility_s: int = 300) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < limit:
            got = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=min(10, limit - len(messages)), AttributeNames=["All"],
                VisibilityTimeout=visibility_s,
            ).get("Messages", [])  # fmt: skip
            if not got:
                break
            messages += got
        return messages

    def jobs(self) -> list[Job]:
        """Every message waiting, received and deleted (what the dispatcher queued)."""
        messages = self.receive(limit=10_000)
        for message in messages:
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [parse_job(message["Body"]) for message in messages]

    def consume(self, worker: Any, limit: int = 10) -> tuple[int, set[str]]:
        """One batch through the worker as the event source mapping runs it: (messages, failed message ids)."""
        messages = self.receive(limit)
        if not messages:
            return 0, set()
        result = worker.lambda_handler(sqs_event(messages, self.arn, REGION), _Context("AggregatorWorkerFunction", 300))
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages), failed

    def send(self, job: Job | str) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=job if isinstance(job, str) else job.body())

    def depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def mocked_rollup_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[RollupQueue]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dlq_url = sqs.create_queue(QueueName="rollups-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(
            QueueName="rollups",
            Attributes={
                "VisibilityTimeout": "360",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
            },
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        monkeypatch.setenv("AGGREGATOR_QUEUE_URL", url)
        get_settings.cache_clear()
        queue.reset_client()
        yield RollupQueue(sqs, url, arn, dlq_url)
    queue.reset_client()
