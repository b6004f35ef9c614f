"""The export worker: lifecycle, duplicates, failures and the DLQ, streaming into S3 multipart uploads."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

import aurion.exports.worker as worker_module
from aurion.exports.job import Deadline
from aurion.exports.worker import handle_message
from tests.support.builders import at

# The fixtures aws, exports and frozen_clock: tests/integration/conftest.py.

MIB = 1024 * 1024
SIX_MIB = 6 * MIB


def status_of(owner_conn, export_id: str) -> dict:
    row = owner_conn.run(
        "SELECT status, row_count, size_bytes, error, started_at IS NOT NULL, finished_at IS NOT NULL, failure_reason "
        "FROM exports WHERE id = :id",
        id=export_id,
    )[0]
    names = ["status", "row_count", "size_bytes", "error", "started", "finished", "failure_reason"]
    return dict(zip(names, row, strict=True))


def test_the_status_goes_queued_running_succeeded_with_row_count_and_size(exports, build, owner_conn, monkeypatch):
    # Given two calls in the period
    build.call(exports.tenant, at("2026-03-02 09:15"))
    build.call(exports.tenant, at("2026-03-03 10:00"))
    created = exports.create_ok()
    assert status_of(owner_conn, created["export_id"])["status"] == "queued"
    # When the worker runs, the export is running while its file is written
    seen_while_writing = []
    original = worker_module.write_file

    def spy(out, ctx, config):
        seen_while_writing.append(status_of(owner_conn, created["export_id"])["status"])
        return original(out, ctx, config)

    monkeypatch.setattr(worker_module, "write_file", spy)
    result = exports.run_worker()
    # Then it succeeded, with the rows and bytes of the one object it wrote
    assert result["batchItemFailures"] == []
    assert seen_while_writing == ["running"]
    (key,) = exports.aws.objects()
    size = len(exports.aws.body(key))
    assert status_of(owner_conn, created["export_id"]) == {
        "status": "succeeded", "row_count": 2, "size_bytes": size, "error": None, "started": True, "finished": True,
        "failure_reason": None,
    }  # fmt: skip
    assert exports.aws.uploads_in_progress() == []


def test_a_duplicate_delivery_does_no_work_and_leaves_one_object(exports, build, owner_conn):
    build.call(exports.tenant, at("2026-03-02 09:15"))
    created = exports.create_ok()
    (message,) = exports.aws.receive()
    # The same message delivered twice (SQS is at-least-once)
    assert exports.run_worker([message])["batchItemFailures"] == []
    first_body = exports.aws.body(exports.aws.objects()[0])
    assert exports.run_worker([message])["batchItemFailures"] == []
    assert exports.aws.objects() == [f"exports/{exports.tenant}/{created['export_id']}.csv"]
    assert exports.aws.body(exports.aws.objects()[0]) == first_body
    assert status_of(owner_conn, created["export_id"])["status"] == "succeeded"


def test_a_redelivery_after_a_crash_overwrites_the_same_object(exports, build, owner_conn):
    build.call(exports.tenant, at("2026-03-02 09:15"))
    created = exports.create_ok()
    (message,) = exports.aws.receive()
    exports.run_worker([message])
    # Given the worker died after marking it running (the state a killed Lambda leaves)
    owner_conn.run("UPDATE exports SET status = 'running' WHERE id = :id", id=created["export_id"])
    exports.run_worker([message])
    assert len(exports.aws.objects()) == 1
    assert status_of(owner_conn, created["export_id"])["status"] == "succeeded"


def test_a_failing_export_is_retried_then_failed_with_its_reason_and_its_message_goes_to_the_dlq(
    exports, owner_conn, monkeypatch
):
    # Given a file that breaks after more than one part has been uploaded
    def broken(out, ctx, config):
        out.write(b"x" * SIX_MIB)
        raise RuntimeError("disk on fire at +33612345678")

    monkeypatch.setattr(worker_module, "write_file", broken)
    created = exports.create_ok()
    # Attempts 1 and 2: failed, reported, the upload aborted, the export queued again with the reason
    for attempt in (1, 2):
        result = exports.run_worker()
        assert len(result["batchItemFailures"]) == 1
        assert exports.aws.uploads_in_progress() == []
        assert status_of(owner_conn, created["export_id"])["status"] == "queued"
        assert status_of(owner_conn, created["export_id"])["error"] == (
            f"Attempt {attempt} of 3 failed: Internal error while producing the file; retrying"
        )
        # a retried attempt is not a failure yet: no typed reason
        assert status_of(owner_conn, created["export_id"])["failure_reason"] is None
    # Attempt 3, the queue's last: the export is failed, with a reason fit for the admin (no exception text)
    assert len(exports.run_worker()["batchItemFailures"]) == 1
    assert exports.aws.uploads_in_progress() == []
    final = status_of(owner_conn, created["export_id"])
    assert (final["status"], final["finished"]) == ("failed", True)
    assert final["error"] == "Failed after 3 attempts: Internal error while producing the file"
    assert final["failure_reason"] == "internal"
    # And the queue moves the message to the DLQ instead of a 4th delivery
    assert exports.run_worker()["received"] == 0
    assert exports.aws.depth(exports.aws.dlq_url) == 1
    assert exports.aws.objects() == []
    # The download says why
    response = exports.download(created["export_id"])
    assert response.status == 409
    assert response.body == {
        "detail": "The export failed: Failed after 3 attempts: Internal error while producing the file",
        "failure_reason": "internal",
    }
    # And the listing shows the same typed reason beside the sentence
    assert exports.item(created["export_id"])["failure_reason"] == "internal"


def test_a_malformed_message_is_reported_until_it_reaches_the_dlq_without_crashing_the_batch(exports, build):
    build.call(exports.tenant, at("2026-03-02 09:15"))
    exports.aws.send("this is not json")
    exports.aws.send(json.dumps({"export_id": "nope", "tenant_id": str(exports.tenant)}))
    created = exports.create_ok()
    # One batch: the good message succeeds, the two bad ones are reported as failures
    result = exports.run_worker()
    assert result["received"] == 3
    assert len(result["batchItemFailures"]) == 2
    assert exports.item(created["export_id"])["status"] == "succeeded"
    for _ in range(2):
        assert len(exports.run_worker()["batchItemFailures"]) == 2
    assert exports.run_worker()["received"] == 0
    assert exports.aws.depth(exports.aws.dlq_url) == 2


def test_a_malformed_message_is_logged_without_its_body(exports, caplog):
    exports.aws.send("call me on +33612345678")
    exports.run_worker()
    (record,) = [record for record in caplog.records if record.getMessage() == "malformed export message"]
    assert record.reason == "body is not JSON"
    assert "33612345678" not in str(record.__dict__)


def test_an_export_whose_window_ended_before_it_ran_fails_at_once_and_is_not_retried(exports, owner_conn, frozen_clock):
    created = exports.create_ok()
    frozen_clock.advance(hours=24, minutes=1)
    assert exports.run_worker()["batchItemFailures"] == []
    state = status_of(owner_conn, created["export_id"])
    assert (state["status"], state["error"], state["failure_reason"]) == (
        "failed", "The export's 24-hour window ended before it could be produced", "expired",
    )  # fmt: skip
    assert exports.aws.receive() == []


def test_a_message_that_outruns_its_export_is_retried(exports):
    # A message whose export is not committed (yet): the worker must not drop it
    exports.aws.send(
        json.dumps({"export_id": "0b1c5d0e-0000-4000-8000-000000000001", "tenant_id": str(exports.tenant)})
    )
    assert len(exports.run_worker()["batchItemFailures"]) == 1


def test_a_worker_about_to_time_out_stops_cleanly_fails_the_export_and_does_not_retry(exports, owner_conn, build):
    build.call(exports.tenant, at("2026-03-02 09:15"))
    created = exports.create_ok()
    (message,) = exports.aws.receive()
    # 5 s left, 20 s margin: the worker stops before writing anything more
    outcome = handle_message(
        message["Body"], receive_count=1, receipt_handle=None, deadline=Deadline(lambda: 5_000, margin_seconds=20)
    )
    assert outcome == "failed"  # acknowledged: the same file would time out again
    assert exports.aws.uploads_in_progress() == []
    state = status_of(owner_conn, created["export_id"])
    assert (state["status"], state["error"], state["failure_reason"]) == (
        "failed", "The export did not finish in time; try a shorter period or the csv format", "too_large",
    )  # fmt: skip


@pytest.fixture
def parts_of_5_mib(monkeypatch):
    """Parts of 5 MiB (the smallest S3 accepts) for this test only: the export config is cached per process."""
    from aurion.exports.config import get_export_config

    monkeypatch.setenv("EXPORT_PART_SIZE_BYTES", str(5 * MIB))
    get_export_config.cache_clear()
    yield 5 * MIB
    get_export_config.cache_clear()


def worker_writes(monkeypatch, content: bytes) -> None:
    """The worker's file is `content` (its rows are not what these tests are about)."""

    def file_of(out, ctx, config):
        out.write(content)
        return 1

    monkeypatch.setattr(worker_module, "write_file", file_of)


class S3Seen:
    """The worker's S3 client, recording what it completes and optionally dropping the parts' checksums from
    S3's answers (an S3-compatible store that ignores them)."""

    def __init__(self, s3, *, part_checksums: bool) -> None:
        self._s3, self._part_checksums = s3, part_checksums
        self.completed_parts: list[dict] = []

    def __getattr__(self, name):
        return getattr(self._s3, name)

    def upload_part(self, **kwargs):
        response = self._s3.upload_part(**kwargs)
        if not self._part_checksums:
            response.pop("ChecksumCRC32", None)
        return response

    def complete_multipart_upload(self, **kwargs):
        self.completed_parts += kwargs["MultipartUpload"]["Parts"]
        return self._s3.complete_multipart_upload(**kwargs)


def s3_seen(monkeypatch, *, part_checksums: bool = True) -> S3Seen:
    import aurion.exports.storage as storage

    seen = S3Seen(storage.client("s3"), part_checksums=part_checksums)
    monkeypatch.setattr(storage, "client", lambda service: seen)
    return seen


def test_memory_stays_bounded_by_the_part_size_for_a_file_of_several_parts(
    exports, build, owner_conn, monkeypatch, parts_of_5_mib
):
    # A 13 MiB file goes up as parts of 5 MiB, 5 + 5 + 3
    parts = []

    def big(out, ctx, config):
        for _ in range(13):
            out.write(b"y" * 1024 * 1024)
            parts.append(out._numbered)  # parts handed to S3 (the last may still be on its way)
        return 13

    monkeypatch.setattr(worker_module, "write_file", big)
    created = exports.create_ok()
    exports.run_worker()
    assert parts[-1] == 2  # two full parts sent while writing, the last 3 MiB on completion
    assert status_of(owner_conn, created["export_id"])["size_bytes"] == 13 * 1024 * 1024
    assert len(exports.aws.body(exports.aws.objects()[0])) == 13 * 1024 * 1024


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_the_file_is_assembled_from_parts_s3_checked_and_carries_their_composite_crc32(
    exports, monkeypatch, parts_of_5_mib
):
    # Given an export of 11 MiB, which goes up as three parts
    content = bytes(range(256)) * (11 * MIB // 256)
    worker_writes(monkeypatch, content)
    seen = s3_seen(monkeypatch)
    # When the worker writes it
    exports.create_ok()
    exports.run_worker()
    # Then the completion named each part with the CRC32 S3 checked it against, computed here from the bytes
    parts = [content[i : i + parts_of_5_mib] for i in range(0, len(content), parts_of_5_mib)]
    assert [part["ChecksumCRC32"] for part in seen.completed_parts] == [crc32_b64(part) for part in parts]
    # And S3 holds the bytes with the composite checksum of the three parts' CRC32s
    key = exports.aws.objects()[0]
    head = exports.aws.s3.head_object(Bucket=exports.aws.bucket, Key=key, ChecksumMode="ENABLED")
    part_crcs = b"".join(base64.b64decode(crc32_b64(part)) for part in parts)
    # (S3 appends "-<number of parts>" to a composite checksum, moto does not)
    assert head["ChecksumCRC32"].removesuffix("-3") == crc32_b64(part_crcs)
    assert exports.aws.body(key) == content


def test_a_store_that_returns_no_part_checksums_still_gets_the_whole_file(
    exports, owner_conn, monkeypatch, parts_of_5_mib
):
    # Given an S3-compatible store that ignores checksums: its part responses carry none
    seen = s3_seen(monkeypatch, part_checksums=False)
    content = b"z" * (6 * MIB)
    worker_writes(monkeypatch, content)
    # When the worker writes a file of two parts
    created = exports.create_ok()
    exports.run_worker()
    # Then the upload is completed without them: the export succeeded and the file is whole
    assert [sorted(part) for part in seen.completed_parts] == [["ETag", "PartNumber"]] * 2
    assert status_of(owner_conn, created["export_id"])["status"] == "succeeded"
    assert exports.aws.body(exports.aws.objects()[0]) == content


def test_a_period_without_data_is_an_empty_success_with_the_headers_only(exports, owner_conn):
    # Given a period in which the tenant has no calls at all
    created = exports.create_ok()
    # When the worker produces it
    assert exports.run_worker()["batchItemFailures"] == []
    # Then it succeeded with 0 rows and no failure reason: the file holds the CSV header line alone
    state = status_of(owner_conn, created["export_id"])
    assert (state["status"], state["row_count"], state["failure_reason"]) == ("succeeded", 0, None)
    (key,) = exports.aws.objects()
    assert exports.aws.body(key).decode().strip().count("\n") == 0
    assert exports.aws.body(key).strip() != b""


def test_s3_refusing_the_last_attempt_fails_the_export_with_reason_storage(exports, owner_conn, monkeypatch):
    from botocore.exceptions import ClientError

    # Given S3 refusing the file (an error of botocore's)
    def refused(out, ctx, config):
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "UploadPart")

    monkeypatch.setattr(worker_module, "write_file", refused)
    created = exports.create_ok()
    (message,) = exports.aws.receive()
    # When the queue's last attempt fails too
    with pytest.raises(ClientError):  # re-raised: the queue moves the message to the DLQ
        handle_message(message["Body"], receive_count=3, receipt_handle=None, deadline=Deadline.unlimited())
    # Then the export is failed as storage, the sentence says so without S3's own words
    state = status_of(owner_conn, created["export_id"])
    assert (state["status"], state["failure_reason"]) == ("failed", "storage")
    assert state["error"] == "Failed after 3 attempts: The file could not be stored"


def test_a_database_unavailable_on_the_last_attempt_fails_the_export_with_reason_database(
    exports, owner_conn, monkeypatch
):
    from aurion.errors import ServiceUnavailable

    def unavailable(out, ctx, config):
        raise ServiceUnavailable("connection refused to 10.0.0.12")

    monkeypatch.setattr(worker_module, "write_file", unavailable)
    created = exports.create_ok()
    (message,) = exports.aws.receive()
    with pytest.raises(ServiceUnavailable):  # re-raised: the queue moves the message to the DLQ
        handle_message(message["Body"], receive_count=3, receipt_handle=None, deadline=Deadline.unlimited())
    state = status_of(owner_conn, created["export_id"])
    assert (state["status"], state["failure_reason"]) == ("failed", "database")
    assert state["error"] == "Failed after 3 attempts: The database was unavailable"


def add_calls(owner_conn, tenant, count: int) -> None:
    """count completed calls on 2026-03-02, one a second from 08:00 UTC (inside the default period)."""
    owner_conn.run(
        "INSERT INTO calls (id, tenant_id, phone_number, direction, started_at, ended_at, duration_seconds, status, "
        "outcome) SELECT gen_random_uuid(), :t, '+33612345678', 'inbound', "
        "TIMESTAMPTZ '2026-03-02 08:00:00+00' + n * INTERVAL '1 second', "
        "TIMESTAMPTZ '2026-03-02 08:01:00+00' + n * INTERVAL '1 second', 60, 'completed', 'resolved' "
        "FROM generate_series(1, :count) AS n",
        t=tenant, count=count,
    )  # fmt: skip


def test_a_running_export_records_increasing_rows_written_visible_to_other_connections(
    exports, owner_conn, monkeypatch
):
    # Given 3,000 calls and a checkpoint every 500 rows (the worker's setting, small for the test)
    add_calls(owner_conn, exports.tenant, 3000)
    monkeypatch.setenv("EXPORT_PROGRESS_EVERY_ROWS", "500")
    monkeypatch.setenv("EXPORT_FETCH_ROWS", "200")
    from aurion.exports.config import get_export_config

    get_export_config.cache_clear()
    created = exports.create_ok(include_call_details=True)
    # And an observer on a connection of its own (as the API's would be) at every checkpoint, while the rows'
    # transaction is still open (the API handler here would share the worker's connection: one process)
    seen = []
    original = worker_module._CheckpointWriter.record

    def observe(self, rows_written):
        original(self, rows_written)
        seen.append(
            tuple(
                owner_conn.run(
                    "SELECT status, rows_written, progress_at IS NOT NULL FROM exports WHERE id = :id",
                    id=created["export_id"],
                )[0]
            )
        )

    monkeypatch.setattr(worker_module._CheckpointWriter, "record", observe)
    try:
        # When the worker produces it
        assert exports.run_worker()["batchItemFailures"] == []
    finally:
        get_export_config.cache_clear()
    # Then every checkpoint was visible while it ran, each further than the one before
    assert [status for status, _, _ in seen] == ["running"] * len(seen)
    counts = [rows for _, rows, _ in seen]
    assert counts[:6] == [500, 1000, 1500, 2000, 2500, 3000]
    assert counts == sorted(counts)
    assert all(stamped for _, _, stamped in seen)
    # And once done, rows_written is the final row_count
    item = exports.item(created["export_id"])
    assert item["status"] == "succeeded"
    assert item["rows_written"] == item["row_count"] >= 3000
