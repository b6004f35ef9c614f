"""The dev stack's live ingest path (local/ingest_loop.py) against a moto server: PutEvents onto the bus, the rule
to the queue, the loop into the ingest function, failures to the dead-letter queue, and `make ingest`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from local import ingest_loop
from local.ingest_loop import IngestLoop, ensure_ingest_resources, put_events, read_events, template_batching
from tests.support.api import caller_for, get
from tests.support.database import REPO
from tests.support.ingest_events import HelpdeskEvents
from tests.support.moto_server import moto_server


@pytest.fixture
def moto_endpoint(app_env, monkeypatch, tmp_path) -> Iterator[str]:
    # Never the checkout's .local/ingest.json: a `make run` of this checkout may be using it.
    monkeypatch.setattr(ingest_loop, "STATE_FILE", tmp_path / "ingest.json")
    with moto_server(monkeypatch) as endpoint:
        yield endpoint


def queue_depth(endpoint: str, url: str) -> int:
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_the_resources_are_created_once_with_the_templates_dead_letter_policy(moto_endpoint):
    first = ensure_ingest_resources(moto_endpoint)
    assert ensure_ingest_resources(moto_endpoint) == first
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    redrive = sqs.get_queue_attributes(QueueUrl=first.queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert int(json.loads(redrive["RedrivePolicy"])["maxReceiveCount"]) == 5
    assert template_batching(REPO / "template.yaml") == (500, 1.0)


def test_events_put_on_the_bus_reach_the_api_through_the_rule_the_queue_and_the_function(
    moto_endpoint, build, functions
):
    # Given the bus, rule and queue in moto, and a tenant
    tenant = build.tenant()
    loop = IngestLoop(moto_endpoint, wait_time_s=0)
    events = HelpdeskEvents(tenant)
    team = events.team(name="Night shift")
    # When the helpdesk publishes a team and a conversation of it (PutEvents), and the loop runs one batch
    assert put_events(loop.resources, [team, events.conversation(team_id=team["data"]["id"])]) == 2
    assert loop.poll_once() == 2
    # Then both were applied and acknowledged: the API shows them, the queue is empty
    teams = get(functions("conversation_analytics"), "/api/v2/analytics/conversations/teams", caller_for(tenant))
    assert [t["team_name"] for t in teams.body["teams"]] == ["Night shift"]
    assert queue_depth(moto_endpoint, loop.resources.queue_url) == 0


def test_a_message_naming_no_tenant_ends_in_the_dead_letter_queue_after_five_receives(moto_endpoint):
    # Given a queue whose failed messages come back at once
    resources = ensure_ingest_resources(moto_endpoint)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    sqs.set_queue_attributes(QueueUrl=resources.queue_url, Attributes={"VisibilityTimeout": "0"})
    loop = IngestLoop(moto_endpoint, resources=resources, wait_time_s=0)
    sqs.send_message(QueueUrl=resources.queue_url, MessageBody="not an event")
    # When the loop receives it again and again (the function reports it failed every time)
    receives = sum(loop.poll_once() for _ in range(7))
    # Then after its fifth receive SQS moves it to the dead-letter queue
    assert receives == 5
    assert queue_depth(moto_endpoint, resources.queue_url) == 0
    assert queue_depth(moto_endpoint, resources.dlq_url) == 1


def test_make_ingest_publishes_a_file_of_events_for_the_tenant_given(moto_endpoint, build, owner_conn, tmp_path):
    # Given a running loop (it tells `make ingest` where the bus is) and a file whose lines name no tenant
    tenant = str(build.tenant())
    loop = IngestLoop.start(moto_endpoint, batching=(500, 0.2))
    try:
        # When `make ingest FILE=events/ingest_demo.ndjson TENANT=<id>` runs
        ingest_loop.main(["send", "--file", str(REPO / "events" / "ingest_demo.ndjson"), "--tenant", tenant])
        lines = len(read_events(REPO / "events" / "ingest_demo.ndjson", tenant))
        # Then the loop applies all of them into that tenant
        for _ in range(100):
            if loop.processed >= lines:
                break
            loop._stop.wait(0.1)
    finally:
        loop.stop()
    assert loop.processed == lines
    counts = owner_conn.run(
        "SELECT (SELECT count(*) FROM conversations WHERE tenant_id = :t), (SELECT count(*) FROM calls WHERE "
        "tenant_id = :t), (SELECT count(*) FROM ingest_rejections WHERE tenant_id = :t)",
        t=tenant,
    )
    assert counts == [[1, 1, 0]]
    assert not ingest_loop.STATE_FILE.exists()  # the stopped loop no longer advertises its bus


def test_a_file_line_naming_another_tenant_is_refused_before_anything_is_sent(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps({"type": "team.v1", "tenant_id": "00000000-0000-4000-8000-000000000001"}) + "\n")
    with pytest.raises(SystemExit, match="is not the tenant given"):
        read_events(path, "00000000-0000-4000-8000-000000000002")
