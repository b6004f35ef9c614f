"""The dev stack's export loop (local/exports_loop.py) against a moto server, as `make run` uses it."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from aurion.exports.aws import reset_clients
from aurion.exports.config import get_export_config
from aurion.settings import get_settings
from local.exports_loop import (
    EXPORT_ENVIRONMENT,
    SCHEDULER_FUNCTION,
    WORKER_FUNCTION,
    ExportsLoop,
    ensure_export_resources,
)
from tests.support.api import caller_for, invoke, rest_event
from tests.support.builders import at
from tests.support.moto_server import moto_server


@pytest.fixture
def moto_endpoint(app_env, monkeypatch) -> Iterator[str]:
    # ensure_export_resources sets these for the functions; monkeypatch puts the old values back afterwards
    for name in EXPORT_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXPORT_RETRY_BASE_SECONDS", "0")
    with moto_server(monkeypatch) as endpoint:
        get_settings.cache_clear()
        get_export_config.cache_clear()
        reset_clients()
        yield endpoint
    reset_clients()
    get_settings.cache_clear()
    get_export_config.cache_clear()


def test_resources_are_created_once_with_a_dead_letter_queue(moto_endpoint):
    first = ensure_export_resources(moto_endpoint)
    again = ensure_export_resources(moto_endpoint)
    assert again == first
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    attributes = sqs.get_queue_attributes(QueueUrl=first.queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] in (3, "3")


def test_the_loop_deletes_what_the_worker_did_and_keeps_what_it_reported_as_failed(moto_endpoint):
    calls: list[tuple[str, dict]] = []
    failing: set[str] = set()

    def fake_invoke(function: str, event: dict) -> dict:
        calls.append((function, event))
        records = event.get("Records", [])
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] in failing]}

    loop = ExportsLoop(moto_endpoint, invoke=fake_invoke, wait_time_s=0)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    sqs.send_message(QueueUrl=loop.resources.queue_url, MessageBody="ok")
    assert loop.poll_once() == 1
    function, event = calls[-1]
    assert function == WORKER_FUNCTION
    assert event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1"
    assert event["Records"][0]["eventSource"] == "aws:sqs"
    assert loop.poll_once() == 0  # deleted
    failing.add("broken")
    sqs.send_message(QueueUrl=loop.resources.queue_url, MessageBody="broken")
    assert loop.poll_once() == 1
    # Reported as failed: not deleted, in flight until its visibility timeout brings it back
    attributes = sqs.get_queue_attributes(
        QueueUrl=loop.resources.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_the_thread_fires_the_scheduler_and_stops(moto_endpoint):
    seen: list[str] = []

    def fake_invoke(function: str, event: dict) -> dict:
        seen.append(function)
        return (
            {"claimed": 0, "created": 0, "failed": 0} if function == SCHEDULER_FUNCTION else {"batchItemFailures": []}
        )

    loop = ExportsLoop.start(moto_endpoint, invoke=fake_invoke, schedule_period_s=0.2, wait_time_s=0)
    deadline = time.monotonic() + 5
    while seen.count(SCHEDULER_FUNCTION) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    loop.stop()
    assert seen.count(SCHEDULER_FUNCTION) >= 2
    assert loop._thread is not None
    assert not loop._thread.is_alive()


def test_make_run_flow_create_wait_then_follow_the_redirect_to_the_file(moto_endpoint, functions, build):
    # Given the local stack's resources, the real worker behind the loop, and a call to export
    loop = ExportsLoop(moto_endpoint, wait_time_s=0)
    tenant = build.tenant()
    build.call(tenant, at("2026-03-02 09:15"), phone_number="+33612345678", outcome="escalated")
    api, caller = functions("exports"), caller_for(tenant, "tenant_admin")
    body = {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08"}
    created = invoke(api, rest_event("POST", "/api/v1/analytics/export", caller=caller, body=body)).body
    download = rest_event("GET", f"/api/v1/analytics/export/{created['export_id']}/download", caller=caller)
    # When the client polls the download while the loop runs the worker
    assert invoke(api, download).status == 202
    assert loop.poll_once() == 1
    ready = invoke(api, download)
    # Then the redirect points at the local S3, and following it downloads the file
    assert ready.status == 302
    location = ready.header("Location")
    assert location.startswith(moto_endpoint)
    with urllib.request.urlopen(location) as response:  # what `curl -L` does
        content = response.read().decode()
    lines = content.splitlines()
    assert lines[0].startswith("call_id,started_at,day")
    assert ",***-***-5678," in lines[1]
    assert ",escalated," in lines[1]
