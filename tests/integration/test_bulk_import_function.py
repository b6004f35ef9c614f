"""The bulk_import function (functions/bulk_import/app.py): a file uploaded under a tenant's import prefix in
moto's bucket, its S3 notification on moto's queue, the function on that SQS batch."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from aurion.ingest.bulk_queue import reset_clients
from aurion.settings import get_settings
from tests.support.api import FakeLambdaContext
from tests.support.ingest_events import HelpdeskEvents

REGION = "eu-west-1"
BUCKET = "aurion-imports-test"


class Imports:
    def __init__(self, s3: Any, sqs: Any, queue_url: str) -> None:
        self.s3, self.sqs, self.queue_url = s3, sqs, queue_url

    def upload(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def notifications(self) -> dict[str, Any]:
        """What the queue holds, as the SQS event Lambda's event source mapping would hand the function."""
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        records = [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {},
             "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs", "awsRegion": REGION,
             "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:imports"}
            for m in received.get("Messages", [])
        ]  # fmt: skip
        return {"Records": records}


@pytest.fixture
def imports(app_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Imports]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        queue_url = sqs.create_queue(QueueName="imports")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        # The template's notification: objects created under imports/ go to the import queue.
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "imports/"}]}},
                    }
                ]
            },
        )
        sqs.purge_queue(QueueUrl=queue_url)  # moto's s3:TestEvent
        get_settings.cache_clear()
        reset_clients()
        yield Imports(s3, sqs, queue_url)
    reset_clients()


def test_an_uploaded_file_is_loaded_into_the_tenant_its_key_names(functions, imports, build, owner_conn):
    # Given a gzip file of a tenant's team and conversation uploaded under imports/<tenant>/<import>/
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    team = events.team(name="Imported team")
    body = "\n".join(json.dumps(e) for e in [team, events.conversation(team_id=team["data"]["id"])])
    import_id = str(uuid.uuid4())
    imports.upload(f"imports/{tenant}/{import_id}/2024 history.ndjson.gz", gzip.compress(body.encode()))
    # When the function handles the notification the upload sent
    result = functions("bulk_import").lambda_handler(imports.notifications(), FakeLambdaContext())
    # Then nothing is retried, and the file is loaded under its own name with both rows
    assert result == {"batchItemFailures": []}
    assert owner_conn.run(
        "SELECT file_name, status, rows_applied FROM import_files WHERE tenant_id = :t AND import_id = :i",
        t=tenant,
        i=import_id,
    ) == [["2024 history.ndjson.gz", "completed", 2]]
    assert owner_conn.run("SELECT name FROM teams WHERE tenant_id = :t", t=tenant) == [["Imported team"]]


def test_an_uploaded_csv_file_is_read_as_csv_by_its_name(functions, imports, build, owner_conn):
    # Given a CSV of two teams (the second with a bad version) uploaded under the tenant's import prefix
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    good, bad = events.team(name="From a spreadsheet"), events.team(name="Bad")
    header = "type,tenant_id,event_id,occurred_at,version,data.id,data.name,data.created_at\r\n"
    rows = [
        f"team.v1,{tenant},{e['event_id']},{e['occurred_at']},{version},{e['data']['id']},{e['data']['name']},"
        f"{e['data']['created_at']}\r\n"
        for e, version in ((good, "1"), (bad, "one"))
    ]
    import_id = str(uuid.uuid4())
    imports.upload(f"imports/{tenant}/{import_id}/teams.csv", (header + "".join(rows)).encode())
    # When the function handles the notification
    result = functions("bulk_import").lambda_handler(imports.notifications(), FakeLambdaContext())
    # Then the good record is applied and the bad one rejected under its spreadsheet row (the header is row 1)
    assert result == {"batchItemFailures": []}
    assert owner_conn.run("SELECT name FROM teams WHERE tenant_id = :t", t=tenant) == [["From a spreadsheet"]]
    assert owner_conn.run(
        "SELECT line, reason FROM import_rejects WHERE tenant_id = :t AND import_id = :i", t=tenant, i=import_id
    ) == [[3, "version: Input should be a valid integer"]]


def test_a_file_of_a_tenant_not_provisioned_yet_is_retried_and_a_key_outside_the_layout_is_not(
    functions, imports, owner_conn
):
    # Given a file of an unknown tenant, and a file whose key names no tenant
    unknown = str(uuid.uuid4())
    imports.upload(
        f"imports/{unknown}/{uuid.uuid4()}/teams.ndjson", json.dumps(HelpdeskEvents(unknown).team()).encode()
    )
    imports.upload("imports/not-a-tenant/x/teams.ndjson", b"{}")
    event = imports.notifications()
    # When the function handles both notifications
    result = functions("bulk_import").lambda_handler(event, FakeLambdaContext())
    # Then only the unknown tenant's file comes back (it waits for its tenant), nothing is written
    assert len(event["Records"]) == 2
    failed = [item["itemIdentifier"] for item in result["batchItemFailures"]]
    unknown_message = next(r["messageId"] for r in event["Records"] if unknown in r["body"])
    assert failed == [unknown_message]
    assert owner_conn.run("SELECT count(*) FROM import_files WHERE tenant_id = :t", t=unknown) == [[0]]


def test_the_sample_event_is_an_s3_notification_of_an_import_key():
    # Given events/bulk_import.json (sam local invoke's sample), when it is read as the function reads it
    from aurion.ingest.bulk_queue import import_of, objects_of
    from tests.support.database import REPO

    event = json.loads((REPO / "events" / "bulk_import.json").read_text())
    (ref,) = objects_of(event["Records"][0]["body"])
    # Then it names one created object whose key is an import's
    file = import_of(ref.key, '"etag"')
    assert (file.file_name, file.etag) == ("history.ndjson.gz", "etag")
