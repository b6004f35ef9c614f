"""Progress and cancel of a running export through the dev stack's export loop against a moto server (real HTTP
S3, as `make run` uses it): the upload has parts in S3 when the cancel comes, and none is left afterwards."""

from __future__ import annotations

import boto3

import aurion.exports.worker as worker_module
from aurion.exports.config import get_export_config
from local.exports_loop import ExportsLoop
from tests.integration.test_export_local_loop import moto_endpoint  # noqa: F401 (the fixture)
from tests.support.api import caller_for, invoke, rest_event

ROWS = 30_000


def test_a_running_export_reports_progress_then_stops_on_cancel_with_no_object_and_no_upload_left(
    moto_endpoint,  # noqa: F811
    functions,
    build,
    owner_conn,
    monkeypatch,
):
    # Given 30,000 calls with transcripts (about 12 MB of CSV), parts of 5 MiB and a checkpoint every 5,000 rows
    tenant = build.tenant()
    owner_conn.run(
        "INSERT INTO calls (id, tenant_id, phone_number, direction, started_at, ended_at, duration_seconds, status, "
        "outcome, transcript) SELECT gen_random_uuid(), :t, '+33612345678', 'inbound', "
        "TIMESTAMPTZ '2026-03-02 00:00:00+00' + n * INTERVAL '1 second', "
        "TIMESTAMPTZ '2026-03-02 00:01:00+00' + n * INTERVAL '1 second', 60, 'completed', 'resolved', "
        "repeat('the customer asked about the invoice ', 10) FROM generate_series(1, :rows) AS n",
        t=tenant, rows=ROWS,
    )  # fmt: skip
    monkeypatch.setenv("EXPORT_PART_SIZE_BYTES", str(5 * 1024 * 1024))
    monkeypatch.setenv("EXPORT_PROGRESS_EVERY_ROWS", "5000")
    get_export_config.cache_clear()
    loop = ExportsLoop(moto_endpoint, wait_time_s=0)
    api, caller = functions("exports"), caller_for(tenant, "tenant_admin")
    body = {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08", "include_transcripts": True}
    created = invoke(api, rest_event("POST", "/api/v1/analytics/export", caller=caller, body=body)).body
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-west-1")
    # moto's state is the process's: only this tenant's keys are this test's
    bucket, prefix = loop.resources.bucket, f"exports/{tenant}/"
    # And, at each checkpoint, a look from outside the worker (its own connection, S3 over HTTP); the admin's
    # cancel arrives after the 4th (20,000 rows, more than one part already uploaded)
    seen: list[tuple[str, int, int]] = []
    original = worker_module._CheckpointWriter.record

    def observe(self, rows_written):
        original(self, rows_written)
        status, written = owner_conn.run(
            "SELECT status, rows_written FROM exports WHERE id = :id", id=created["export_id"]
        )[0]
        (upload,) = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
        parts = s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]).get("Parts", [])
        seen.append((status, written, len(parts)))
        if len(seen) == 4:
            owner_conn.run("UPDATE exports SET cancel_requested_at = now() WHERE id = :id", id=created["export_id"])

    monkeypatch.setattr(worker_module._CheckpointWriter, "record", observe)
    # When the loop hands the message to the worker
    assert loop.poll_once() == 1
    # Then progress increased at every checkpoint while it ran, with parts in S3 before the cancel
    assert [(status, written) for status, written, _ in seen] == [
        ("running", 5000), ("running", 10000), ("running", 15000), ("running", 20000),
    ]  # fmt: skip
    assert seen[3][2] >= 1
    # And the cancel stopped it at the next checkpoint (25,000 rows, recorded, then no further): cancelled, no
    # object, no incomplete multipart upload
    item = invoke(api, rest_event("GET", f"/api/v1/analytics/exports/{created['export_id']}", caller=caller)).body
    assert (item["status"], item["failure_reason"], item["rows_written"]) == ("cancelled", "cancelled", 25000)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", []) == []
    # And the loop deleted the message: nothing is retried
    assert loop.poll_once() == 0
