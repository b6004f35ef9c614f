"""Issue 17's done-when, through the dev stack's export loop against a moto server (real HTTP S3, SQS and SES, as
`make run` uses them): a schedule fires, its e-mail arrives in moto's SES with a link that downloads the file, and
its webhook reaches a local receiver with a signature docs/exports.md's own check accepts; a receiver answering
500 is retried and then its destination is switched off with the reason; a running 1,000,000-row export reports
a rising percentage and stops within seconds of a cancel, leaving no object and no multipart upload."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends

import aurion.exports.requests as requests_module
import aurion.exports.worker as worker_module
from aurion.exports.config import get_export_config
from aurion.exports.delivery_config import get_delivery_config
from aurion.exports.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from local.exports_loop import SCHEDULER_FUNCTION, ExportsLoop, ensure_export_resources, scheduled_event
from tests.integration.test_export_local_loop import moto_endpoint  # noqa: F401 (the fixture)
from tests.support.api import caller_for, invoke, rest_event
from tests.support.builders import at

DOCS = Path(__file__).resolve().parents[2] / "docs" / "exports.md"
REGION = "eu-west-1"
DESTINATIONS = "/api/v1/analytics/export-destinations"
# The API's URL the delivery function is given (the stage's in AWS, the gateway's in the dev stack).
LINK_BASE = "http://aurion.local/dev"
DELIVERY_ENV = (
    "EXPORT_DELIVERY_QUEUE_URL", "EXPORT_EMAIL_SENDER", "EXPORT_WEBHOOK_ALLOW_PRIVATE", "EXPORT_DELIVERY_MAX_RECEIVES",
    "EXPORT_DELIVERY_MAX_FAILURES", "EXPORT_DELIVERY_RETRY_BASE_SECONDS",
)  # fmt: skip


def documented_verify_signature() -> Any:
    """verify_signature exactly as docs/exports.md shows it to receivers (its only ```python block)."""
    (block,) = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    namespace: dict[str, Any] = {}
    exec(compile(block, str(DOCS), "exec"), namespace)
    return namespace["verify_signature"]


@dataclass
class Receiver:
    """A webhook receiver on a free local port: records every request and answers `status`."""

    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/aurion"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture
def loop(moto_endpoint, monkeypatch) -> ExportsLoop:  # noqa: F811
    for name in DELIVERY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXPORT_DELIVERY_RETRY_BASE_SECONDS", "0")  # retried at once (the backoff: unit tests)
    monkeypatch.setenv("EXPORT_LINK_BASE_URL", LINK_BASE)
    # Queues and bucket of this test's own: moto's state is the process's, other tests leave messages behind.
    resources = ensure_export_resources(moto_endpoint, name=f"aurion-exports-{uuid.uuid4().hex[:8]}")
    loop = ExportsLoop(moto_endpoint, wait_time_s=0, resources=resources)
    get_delivery_config.cache_clear()
    yield loop
    get_delivery_config.cache_clear()


def sent_emails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def api_call(functions, caller, method: str, path: str, body: Any = None) -> Any:
    return invoke(functions("exports"), rest_event(method, path, caller=caller, body=body))


def download_through_link(functions, link: str) -> bytes:
    """Open a delivered link as its recipient does: no session, the API's 302, then the presigned URL."""
    assert link.startswith(f"{LINK_BASE}/api/v1/analytics/export/"), link
    answer = invoke(functions("exports"), rest_event("GET", link.removeprefix(LINK_BASE)))
    assert answer.status == 302, answer.body
    with urllib.request.urlopen(answer.header("Location")) as response:
        return bytes(response.read())


def test_a_schedule_fires_and_its_email_link_downloads_the_file_and_its_webhook_is_signed_as_documented(
    loop, receiver, functions, build, owner_conn, frozen_clock
):
    # Given a tenant with 3 calls on 2026-03-08, one of its users' address and a local webhook receiver as
    # destinations of a daily 06:00 UTC schedule, whose run of 2026-03-09 is due
    tenant = build.tenant()
    build.user(tenant, "Olivia Ops")
    for minute in (1, 2, 3):
        build.call(tenant, at(f"2026-03-08 09:0{minute}"))
    caller = caller_for(tenant, "tenant_admin")
    email = api_call(functions, caller, "POST", DESTINATIONS,
                     {"kind": "email", "name": "Ops", "email": "Olivia.Ops@example.com"})  # fmt: skip
    hook = api_call(functions, caller, "POST", DESTINATIONS, {"kind": "webhook", "name": "BI", "url": receiver.url})
    assert (email.status, hook.status) == (201, 201), (email.body, hook.body)
    assert email.body["destination"]["verified"] is True
    secret = hook.body["signing_secret"]
    ids = [email.body["destination"]["destination_id"], hook.body["destination"]["destination_id"]]
    schedule = api_call(functions, caller, "POST", "/api/v1/analytics/export-schedules",
                        {"name": "Daily calls", "cadence": "daily", "time_of_day": "06:00", "format": "csv",
                         "destination_ids": ids})  # fmt: skip
    assert schedule.status == 201, schedule.body
    assert sorted(schedule.body["destination_ids"]) == sorted(ids)
    owner_conn.run("UPDATE export_schedules SET next_run_at = '2026-03-09 06:00+00' WHERE id = :id",
                   id=schedule.body["schedule_id"])  # fmt: skip
    sent_before = len(sent_emails())
    # When the scheduler fires, the loop runs the worker, then the delivery function for each delivery
    loop._invoke(SCHEDULER_FUNCTION, scheduled_event(datetime(2026, 3, 9, 12, tzinfo=UTC), REGION))
    assert loop.poll_once() == 1
    assert loop.poll_deliveries_once() == 1
    assert loop.poll_deliveries_once() == 1
    # Then the file exists with the day's 3 calls
    (export_id,) = [row[0] for row in owner_conn.run("SELECT id::text FROM exports WHERE tenant_id = :t", t=tenant)]
    s3 = boto3.client("s3", endpoint_url=loop._endpoint_url, region_name=REGION)
    key = owner_conn.run("SELECT s3_key FROM exports WHERE id = :id", id=export_id)[0][0]
    stored = s3.get_object(Bucket=loop.resources.bucket, Key=key)["Body"].read()
    assert stored.count(b"\r\n") == 1 + 3  # header and three calls
    # And one e-mail reached the user in moto's SES, from the verified sender, with a link that downloads the file
    (message,) = sent_emails()[sent_before:]
    assert message.destinations["ToAddresses"] == ["Olivia.Ops@example.com"]
    assert message.source == "exports@aurion.local"
    (link,) = re.findall(r"^(http\S+)$", message.body, flags=re.M)
    assert download_through_link(functions, link) == stored
    # And one webhook reached the receiver, signed so that the documented check accepts it (and nothing altered)
    (request,) = receiver.requests
    verify = documented_verify_signature()
    timestamp, signature = request["headers"][TIMESTAMP_HEADER], request["headers"][SIGNATURE_HEADER]
    assert verify(secret, request["body"], timestamp, signature)
    assert not verify(secret, request["body"] + b" ", timestamp, signature)
    assert not verify("whsec_wrong", request["body"], timestamp, signature)
    assert not verify(secret, request["body"], timestamp, signature, now=int(timestamp) + 301)
    payload = json.loads(request["body"])
    assert (payload["type"], payload["export_id"], payload["row_count"]) == ("export.succeeded", export_id, 3)
    assert download_through_link(functions, payload["download_url"]) == stored
    # And each destination's delivery log says delivered, in one attempt
    for destination_id in ids:
        log = api_call(functions, caller, "GET", f"{DESTINATIONS}/{destination_id}/deliveries").body["deliveries"]
        assert [(d["export_id"], d["status"], d["attempts"]) for d in log] == [(export_id, "delivered", 1)]


def test_a_receiver_answering_500_is_retried_then_its_destination_is_disabled_with_the_reason(
    loop, receiver, functions, build, owner_conn, frozen_clock, monkeypatch
):
    # Given a webhook destination whose receiver answers 500, switched off after one failed delivery
    monkeypatch.setenv("EXPORT_DELIVERY_MAX_FAILURES", "1")
    get_delivery_config.cache_clear()
    receiver.status = 500
    tenant = build.tenant()
    build.call(tenant, at("2026-03-02 10:00"))
    caller = caller_for(tenant, "tenant_admin")
    hook = api_call(functions, caller, "POST", DESTINATIONS, {"kind": "webhook", "name": "BI", "url": receiver.url})
    destination_id = hook.body["destination"]["destination_id"]
    body = {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08",
            "notify_destination_ids": [destination_id]}  # fmt: skip
    created = api_call(functions, caller, "POST", "/api/v1/analytics/export", body)
    assert created.status == 200, created.body
    # When the export is produced and the loop hands its delivery over until the queue is empty
    assert loop.poll_once() == 1
    polls = 0
    while loop.poll_deliveries_once():
        polls += 1
        assert polls <= 10
    # Then the receiver was tried on each of the queue's 4 receives, each time with the same delivery
    assert polls == 4
    assert len(receiver.requests) == 4
    assert len({json.loads(r["body"])["delivery_id"] for r in receiver.requests}) == 1
    # And the delivery is failed after 4 attempts, the last status on record
    log = api_call(functions, caller, "GET", f"{DESTINATIONS}/{destination_id}/deliveries").body["deliveries"]
    assert [(d["status"], d["attempts"], d["last_status_code"], d["last_error"]) for d in log] == [
        ("failed", 4, 500, "The receiver answered 500")
    ]
    # And the destination is switched off and says why
    destination = api_call(functions, caller, "GET", f"{DESTINATIONS}/{destination_id}").body
    assert destination["enabled"] is False
    assert (
        destination["disabled_reason"]
        == "Disabled after 1 failed deliveries in a row; the last: The receiver answered 500"
    )
    # And a new export cannot name it until an admin switches it back on
    again = api_call(functions, caller, "POST", "/api/v1/analytics/export", body)
    assert again.status == 422
    assert again.body["detail"][0]["type"] == "disabled"
    enabled = api_call(functions, caller, "POST", f"{DESTINATIONS}/{destination_id}/enable")
    assert (enabled.body["enabled"], enabled.body["consecutive_failures"]) == (True, 0)


ROWS = 1_000_000


def export_as_the_api_shows_it(owner_conn, tenant, export_id: str) -> Any:
    owner_conn.run("SELECT set_config('app.tenant_id', :t, false)", t=str(tenant))
    values = owner_conn.run(requests_module.BY_ID_SQL, export_id=export_id, tenant_id=str(tenant))[0]
    row = dict(zip([column["name"] for column in owner_conn.columns], values, strict=True))
    return requests_module._item(row)


def test_a_running_million_row_export_reports_a_rising_percentage_and_stops_within_seconds_of_a_cancel(
    loop, functions, build, owner_conn, monkeypatch
):
    # Given 1,000,000 calls of one tenant over March 2026 (generated in SQL) and a checkpoint every 50,000 rows
    tenant = build.tenant()
    owner_conn.run(
        "INSERT INTO calls (id, tenant_id, phone_number, direction, started_at, ended_at, duration_seconds, status, "
        "outcome) SELECT gen_random_uuid(), :t, '+33612345678', 'inbound', "
        "TIMESTAMPTZ '2026-03-01 00:00:00+00' + n * INTERVAL '2 seconds', "
        "TIMESTAMPTZ '2026-03-01 00:01:00+00' + n * INTERVAL '2 seconds', 60, 'completed', 'resolved' "
        "FROM generate_series(1, :rows) AS n",
        t=tenant, rows=ROWS,
    )  # fmt: skip
    owner_conn.run("ANALYZE calls")
    monkeypatch.setenv("EXPORT_PROGRESS_EVERY_ROWS", "50000")
    get_export_config.cache_clear()
    caller = caller_for(tenant, "tenant_admin")
    body = {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-31"}
    export_id = api_call(functions, caller, "POST", "/api/v1/analytics/export", body).body["export_id"]
    # And, at each checkpoint, the export as GET /exports/{id} renders it, read from outside the worker (the
    # owner's connection: the API's would share the worker's, busy with the rows); the admin's cancel comes after
    # the 3rd (the cancel route itself: tests/integration/test_export_cancel.py)
    seen: list[tuple[str, int, int | None, str | None]] = []
    cancelled_at: list[float] = []
    original = worker_module._CheckpointWriter.record

    def observe(self, rows_written):
        try:
            original(self, rows_written)
        finally:
            item = export_as_the_api_shows_it(owner_conn, tenant, export_id)
            seen.append((item.status, item.rows_written, item.percent, item.estimated_finish_at))
            if len(seen) == 3:
                owner_conn.run("UPDATE exports SET cancel_requested_at = now() WHERE id = :id", id=export_id)
                cancelled_at.append(time.monotonic())

    monkeypatch.setattr(worker_module._CheckpointWriter, "record", observe)
    # When the loop hands the export to the worker
    assert loop.poll_once() == 1
    stopped_after = time.monotonic() - cancelled_at[0]
    print(f"cancel to stop: {stopped_after:.2f} s")
    # Then the percentage rose with the rows against the 1,000,000 counted at the start, with an estimated finish
    running = [entry for entry in seen if entry[0] == "running"]
    assert [(rows, pct) for _, rows, pct, _ in running[:3]] == [(50_000, 5), (100_000, 10), (150_000, 15)]
    assert all(finish is not None for *_, finish in running[:3])
    # And it stopped within seconds of the cancel: cancelled at the next checkpoint, nothing left in S3
    assert stopped_after < 5, stopped_after
    item = api_call(functions, caller, "GET", f"/api/v1/analytics/exports/{export_id}").body
    assert (item["status"], item["failure_reason"], item["percent"]) == ("cancelled", "cancelled", None)
    assert 150_000 <= item["rows_written"] < ROWS
    s3 = boto3.client("s3", endpoint_url=loop._endpoint_url, region_name=REGION)
    prefix = f"exports/{tenant}/"
    assert s3.list_objects_v2(Bucket=loop.resources.bucket, Prefix=prefix).get("KeyCount", 0) == 0
    assert s3.list_multipart_uploads(Bucket=loop.resources.bucket, Prefix=prefix).get("Uploads", []) == []
