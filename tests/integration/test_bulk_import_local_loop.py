"""The dev stack's bulk path (local/import_loop.py) against a moto server: a file uploaded as `make import` does,
the bucket's notification on the queue, the loop into the bulk_import function, the status through the API."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import boto3
import pytest

from local.import_loop import ImportLoop, ensure_import_resources, upload
from tests.support.api import caller_for, get
from tests.support.ingest_events import HelpdeskEvents
from tests.support.moto_server import import_moto_server


@pytest.fixture
def moto_endpoint(app_env, monkeypatch, tmp_path) -> Iterator[str]:
    with import_moto_server(monkeypatch, tmp_path) as endpoint:
        yield endpoint


def test_the_resources_are_created_once_with_the_templates_dead_letter_policy(moto_endpoint):
    first = ensure_import_resources(moto_endpoint)
    assert ensure_import_resources(moto_endpoint) == first
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    redrive = sqs.get_queue_attributes(QueueUrl=first.queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert int(json.loads(redrive["RedrivePolicy"])["maxReceiveCount"]) == 10


def test_an_uploaded_file_is_loaded_and_its_status_read_through_the_api(moto_endpoint, build, functions, tmp_path):
    # Given the bucket, notification and queue in moto, and a gzip history file of a tenant with one bad line
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    team = events.team(name="Imported")
    path = tmp_path / "history.ndjson.gz"
    path.write_bytes(gzip.compress(b"\n".join([json.dumps(team).encode(), b"{broken"])))
    loop = ImportLoop(moto_endpoint, wait_time_s=0)
    # When it is uploaded as `make import` does and the loop runs until the queue is empty
    key = upload(loop.resources, path, str(tenant))
    # (S3's s3:TestEvent of the new notification comes first: acknowledged, it names no object)
    while loop.poll_once():
        pass
    # Then the import's status says one line applied and one rejected, at line 2
    import_id = key.split("/")[2]
    detail = get(functions("exports"), f"/api/v1/analytics/imports/{import_id}", caller_for(tenant, "tenant_admin"))
    assert (detail.status, detail.body["status"], detail.body["rows_applied"]) == (200, "completed_with_rejects", 1)
    assert [(r["line"], r["reason"]) for r in detail.body["rejects"]] == [(2, "not a JSON line")]
