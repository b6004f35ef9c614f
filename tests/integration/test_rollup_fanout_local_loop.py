"""The dev stack's rollup fan-out (local/aggregator_loop.py) against a moto server: the queue as the template
declares it, and a job polled into the worker function."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest

import aurion.rollups.worker
from aurion.rollups.jobs import Job
from local.aggregator_loop import AggregatorLoop, ensure_aggregator_resources, template_queue
from tests.support.moto_server import moto_server


@pytest.fixture
def moto_endpoint(app_env, monkeypatch) -> Iterator[str]:
    monkeypatch.delenv("AGGREGATOR_QUEUE_URL", raising=False)
    monkeypatch.setattr(aurion.rollups.worker, "_database", None)
    with moto_server(monkeypatch) as endpoint:
        yield endpoint


def test_the_queue_is_created_once_with_the_templates_dead_letter_policy(moto_endpoint):
    first = ensure_aggregator_resources(moto_endpoint)
    assert ensure_aggregator_resources(moto_endpoint) == first
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    redrive = sqs.get_queue_attributes(QueueUrl=first.queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert int(json.loads(redrive["RedrivePolicy"])["maxReceiveCount"]) == template_queue()[1] == 10
    assert template_queue()[0] == 10


def test_a_queued_job_is_run_by_the_worker_and_deleted(moto_endpoint, build, app_env, clock):
    # Given a tenant with a resolved conversation yesterday, never rolled up, and its job on the queue
    tenant = build.tenant()
    yesterday = clock.now - timedelta(days=1)
    build.conversation(tenant, yesterday, resolved_at=yesterday + timedelta(hours=1), resolved_by="ai")
    loop = AggregatorLoop(moto_endpoint, wait_time_s=0)
    boto3.client("sqs", endpoint_url=moto_endpoint).send_message(
        QueueUrl=loop.resources.queue_url, MessageBody=Job(str(tenant)).body()
    )
    # When the loop polls one batch
    assert loop.poll_once() == 1
    # Then the worker rolled the tenant up to today and the message is gone
    rows = app_env.owner.run("SELECT rolled_until FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant)
    assert rows == [[clock.today]]
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    attributes = sqs.get_queue_attributes(
        QueueUrl=loop.resources.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
