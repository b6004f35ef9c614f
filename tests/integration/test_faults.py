"""Faults of the things the functions depend on: PostgreSQL, S3, the queue and Redis.

What each must look like (DESIGN.md, aurion/db.py, aurion/exports/worker.py, aurion/ratelimit.py):
- PostgreSQL unreachable, silent or over its statement timeout: 503 {"detail"} with Retry-After, quickly, through
  the gateway as a client sees it, and the next request after the fault answers normally.
- S3 failing in the middle of a multipart upload: the upload is aborted (none left behind), the export is retried
  as the worker's design says (queued with the attempt's reason, then failed with a reason after the last one).
- A queue message naming another tenant's export never produces it and ends in the DLQ.
- Redis silent: searches answer within the limiter's timeout, counted per instance; Redis is used again once back.

(test_database_failures.py covers the function-level 503s and the reconnect; test_export_worker.py malformed
messages and a writer that breaks; test_call_search_rate_limit.py a closed Redis port.)
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pg8000.native
import pytest
import redis
from botocore.exceptions import ClientError

import aurion.exports.worker as worker_module
from aurion import ratelimit
from aurion.db import connect_params
from aurion.exports.aws import client
from aurion.exports.config import get_export_config
from aurion.settings import get_settings
from tests.support.api import caller_for, get
from tests.support.builders import at
from tests.support.database import REPO
from tests.support.stack import Stack, local_stack

# The fixtures aws and exports: tests/integration/conftest.py.

TEAMS = "/api/v2/analytics/conversations/teams"
MIB = 1024 * 1024
FAST_ENOUGH_S = 5.0
# Read before app_env clears REDIS_URL for each test.
TEST_REDIS = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def stack(database, owner_conn) -> Iterator[Stack]:
    with local_stack(database, owner_conn) as stack:
        yield stack


@pytest.fixture
def tenant(stack, build) -> uuid.UUID:
    tenant = build.tenant()
    build.team(tenant, "Tier 1")
    return tenant


def timed_get(stack: Stack, tenant: uuid.UUID) -> tuple[Any, float]:
    started = time.monotonic()
    result = stack.request("GET", TEAMS, token=stack.token("tenant_admin", tenant))
    return result, time.monotonic() - started


def assert_retry_later(result: Any) -> None:
    assert result.status == 503, result.body
    assert set(json.loads(result.body)) == {"detail"}
    retry_after = result.headers.get("Retry-After")
    assert retry_after is not None
    assert 1 <= int(retry_after) <= 5


# -- PostgreSQL --


def test_a_closed_database_port_is_a_503_with_retry_after_within_5_seconds(stack, tenant):
    # Given functions whose database refuses connections
    stack.configure(AURION_DB_URL="postgresql://aurion_app:x@127.0.0.1:1/aurion")
    # When a client calls through the gateway
    result, elapsed = timed_get(stack, tenant)
    # Then it is told to come back, quickly, without internals
    assert_retry_later(result)
    assert elapsed < FAST_ENOUGH_S
    assert b"127.0.0.1" not in result.body


def test_an_api_key_while_the_database_is_unreachable_is_a_503_with_retry_after_not_a_500(stack, tenant):
    # Given a tenant with API-key access and a live key (the authorizer looks keys up in the database)
    admin = stack.token("tenant_admin", tenant)
    assert stack.request("PUT", "/api/v2/analytics/api-keys/access", token=admin, body={"enabled": True}).status == 200
    created = stack.request("POST", "/api/v2/analytics/api-keys", token=admin, body={"name": "faults"})
    key = json.loads(created.body)["api_key"]
    # When the database goes away and the key is used
    stack.configure(AURION_DB_URL="postgresql://aurion_app:x@127.0.0.1:1/aurion")
    started = time.monotonic()
    result = stack.request("GET", TEAMS, headers={"X-API-Key": key})
    # Then the authorizer's failure is the template's retryable 503, like the functions' own
    assert_retry_later(result)
    assert time.monotonic() - started < FAST_ENOUGH_S


def test_a_database_that_accepts_but_never_answers_is_a_503_within_5_seconds_not_a_hang(stack, tenant):
    # Given a database address that accepts TCP connections and then says nothing (a wedged proxy)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        port = silent.getsockname()[1]
        stack.configure(AURION_DB_URL=f"postgresql://aurion_app:x@127.0.0.1:{port}/aurion")
        # When a client calls
        result, elapsed = timed_get(stack, tenant)
    finally:
        silent.close()
    # Then the connect timeout, not the Lambda timeout, bounds the wait: a 503 within 5 s
    assert_retry_later(result)
    assert elapsed < get_settings().db_connect_timeout_s + 1.5 <= 5.0


def test_a_query_held_past_the_statement_timeout_is_a_503_and_the_next_request_succeeds(stack, tenant, database):
    # Given a statement timeout of 200 ms and a migration-like lock on the table the route reads
    stack.configure(DB_STATEMENT_TIMEOUT_MS="200")
    assert timed_get(stack, tenant)[0].status == 200  # warm: the connection exists
    locker = pg8000.native.Connection(**connect_params(database.admin_url))
    try:
        locker.run("BEGIN")
        locker.run("LOCK TABLE teams IN ACCESS EXCLUSIVE MODE")
        # When a client calls while the lock is held
        result, elapsed = timed_get(stack, tenant)
    finally:
        locker.run("ROLLBACK")
        locker.close()
    # Then the query is cancelled at the timeout and the client told to retry
    assert_retry_later(result)
    assert elapsed < FAST_ENOUGH_S
    # And once the lock is gone the same warm function answers
    after, _ = timed_get(stack, tenant)
    assert after.status == 200
    assert json.loads(after.body)["teams"][0]["team_name"] == "Tier 1"


# -- S3 --


class FlakyS3:
    """Makes the worker's S3 client fail UploadPart for part `part` (on the first `times` attempts)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, part: int, times: int) -> None:
        self.s3 = client("s3")  # the cached client MultipartUpload uses
        self.original = self.s3.upload_part
        self.part, self.times, self.failures = part, times, 0
        monkeypatch.setattr(self.s3, "upload_part", self.upload_part)

    def upload_part(self, **kwargs: Any) -> Any:
        if kwargs["PartNumber"] == self.part and self.failures < self.times:
            self.failures += 1
            raise ClientError(
                {"Error": {"Code": "InternalError", "Message": "We encountered an internal error"}}, "UploadPart"
            )
        return self.original(**kwargs)


@pytest.fixture
def three_part_file(monkeypatch) -> int:
    """The export's file is 11 MiB in 5 MiB parts: parts 1 and 2 go up while writing, part 3 on completion."""
    monkeypatch.setenv("EXPORT_PART_SIZE_BYTES", str(5 * MIB))
    get_export_config.cache_clear()

    def eleven_mib(out, ctx, config):
        for _ in range(11):
            out.write(b"z" * MIB)
        return 11

    monkeypatch.setattr(worker_module, "write_file", eleven_mib)
    return 11 * MIB


def export_state(owner_conn, export_id: str) -> tuple[str, str | None]:
    status, error = owner_conn.run("SELECT status, error FROM exports WHERE id = :id", id=export_id)[0]
    return status, error


def test_s3_failing_mid_upload_aborts_the_upload_then_the_retry_produces_the_file(
    exports, owner_conn, monkeypatch, three_part_file
):
    # Given S3 fails the second part once (part 1 is already stored in the multipart upload)
    created = exports.create_ok()
    flaky = FlakyS3(monkeypatch, part=2, times=1)
    # When the worker runs the first time
    first = exports.run_worker()
    # Then the message is reported for retry, the upload aborted, and the export says why it is queued again
    assert flaky.failures == 1
    assert len(first["batchItemFailures"]) == 1
    assert exports.aws.uploads_in_progress() == []
    assert exports.aws.objects() == []
    assert export_state(owner_conn, created["export_id"]) == (
        "queued", "Attempt 1 of 3 failed: The file could not be stored; retrying",
    )  # fmt: skip
    # When the message comes back
    second = exports.run_worker()
    # Then the file is complete, once, and the export truthfully succeeded
    assert second["batchItemFailures"] == []
    (key,) = exports.aws.objects()
    assert len(exports.aws.body(key)) == three_part_file
    assert exports.aws.uploads_in_progress() == []
    assert export_state(owner_conn, created["export_id"]) == ("succeeded", None)
    assert exports.download(created["export_id"]).status == 302


def test_s3_failing_on_every_attempt_fails_the_export_with_a_reason_and_leaves_no_upload(
    exports, owner_conn, monkeypatch, three_part_file
):
    created = exports.create_ok()
    FlakyS3(monkeypatch, part=2, times=99)
    for _ in range(3):
        assert len(exports.run_worker()["batchItemFailures"]) == 1
        assert exports.aws.uploads_in_progress() == []
    # After the queue's last receive: failed with a reason for the admin, message in the DLQ, nothing stored
    assert export_state(owner_conn, created["export_id"]) == (
        "failed", "Failed after 3 attempts: The file could not be stored",
    )  # fmt: skip
    assert exports.run_worker()["received"] == 0
    assert exports.aws.depth(exports.aws.dlq_url) == 1
    assert exports.aws.objects() == []
    download = exports.download(created["export_id"])
    assert (download.status, download.body["detail"]) == (
        409, "The export failed: Failed after 3 attempts: The file could not be stored",
    )  # fmt: skip


def test_when_the_abort_fails_too_the_export_is_still_retried_and_the_lifecycle_rule_is_the_safety_net(
    exports, owner_conn, monkeypatch, three_part_file, caplog
):
    # Given S3 fails a part and then refuses the abort as well
    created = exports.create_ok()
    flaky = FlakyS3(monkeypatch, part=2, times=1)

    def refuse(**kwargs):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "Slow down"}}, "AbortMultipartUpload")

    monkeypatch.setattr(flaky.s3, "abort_multipart_upload", refuse)
    caplog.set_level(logging.WARNING)
    # When the worker runs
    result = exports.run_worker()
    # Then the export is retried with the original reason (not the abort's), and the failed abort is logged
    assert len(result["batchItemFailures"]) == 1
    assert export_state(owner_conn, created["export_id"])[1] == (
        "Attempt 1 of 3 failed: The file could not be stored; retrying"
    )
    assert "could not abort multipart upload" in caplog.text
    # And the one upload left behind is what the bucket's lifecycle rule removes after a day
    assert len(exports.aws.uploads_in_progress()) == 1
    template = (REPO / "template.yaml").read_text()
    assert "AbortIncompleteMultipartUpload:\n              DaysAfterInitiation: 1" in template


# -- the queue --


def test_a_message_pairing_an_export_with_another_tenant_never_produces_it_and_ends_in_the_dlq(
    exports, build, owner_conn
):
    # Given an export of tenant A and a forged message naming it with tenant B
    build.call(exports.tenant, at("2026-03-02 09:15"))
    created = exports.create_ok()
    (genuine,) = exports.aws.receive()
    other = build.tenant()
    exports.aws.send(json.dumps({"export_id": created["export_id"], "tenant_id": str(other)}))
    # When the worker sees the forged message on each of the queue's receives
    forged_failures = 0
    for _ in range(3):
        messages = [m for m in exports.aws.receive() if json.loads(m["Body"])["tenant_id"] == str(other)]
        forged_failures += len(exports.run_worker(messages)["batchItemFailures"])
    # Then it failed every time, reached the DLQ, and A's export was neither produced nor marked by it
    assert forged_failures == 3
    assert exports.aws.receive() == []  # a 4th receive: the queue moves it to the DLQ instead
    assert exports.aws.depth(exports.aws.dlq_url) == 1
    assert export_state(owner_conn, created["export_id"]) == ("queued", None)
    assert exports.aws.objects() == []
    # And the genuine message still produces it
    assert exports.run_worker([genuine])["batchItemFailures"] == []
    assert export_state(owner_conn, created["export_id"]) == ("succeeded", None)


# -- Redis --

SEARCH = "/api/v1/analytics/search?phone=%2B33612345678&start_date=2026-03-01&end_date=2026-03-08"


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A Redis address that accepts connections and never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    yield f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    silent.close()


@pytest.fixture
def search_tenant(app_env, build) -> uuid.UUID:
    tenant = build.tenant()
    build.call(tenant, at("2026-03-02 09:15"))
    return tenant


def test_a_silent_redis_costs_each_search_at_most_its_timeout_and_then_is_left_alone(
    functions, search_tenant, silent_redis, monkeypatch, caplog
):
    # Given REDIS_URL points at a Redis that never answers
    monkeypatch.setenv("REDIS_URL", silent_redis)
    monkeypatch.setattr(ratelimit, "KEY_PREFIX", f"aurion-test-{uuid.uuid4().hex[:12]}")
    get_settings.cache_clear()
    ratelimit.reset_limiters()
    caplog.set_level(logging.WARNING)
    module, caller = functions("call_search"), caller_for(search_tenant, "agent")
    # When a user searches 11 times
    timings, answers = [], []
    for _ in range(11):
        started = time.monotonic()
        answers.append(get(module, SEARCH, caller))
        timings.append(time.monotonic() - started)
    # Then every search is answered (fail open), the first pays the timeout (250 ms, one retry), the rest nothing,
    # and the limit still holds within this instance
    assert [answer.status for answer in answers] == [200] * 10 + [429]
    assert timings[0] < 2.0
    assert max(timings[1:]) < 0.5
    assert "rate-limit store unreachable" in caplog.text


def test_the_shared_store_is_used_again_once_redis_is_back(functions, search_tenant, monkeypatch):
    url = reachable_redis()
    redis_client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    prefix = f"aurion-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(ratelimit, "KEY_PREFIX", prefix)
    monkeypatch.setenv("REDIS_URL", url)
    get_settings.cache_clear()
    ratelimit.reset_limiters()
    module, caller = functions("call_search"), caller_for(search_tenant, "agent")
    try:
        # Given Redis failed once (the limiter counts in memory for the next 30 s)
        limiter = ratelimit.search_limiter()
        clock = [time.monotonic()]
        monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
        limiter._shared_down_until = clock[0] + ratelimit.RETRY_SHARED_AFTER_SECONDS
        assert get(module, SEARCH, caller).status == 200
        assert list(redis_client.scan_iter(match=f"{prefix}*")) == []
        # When the 30 s have passed
        clock[0] += ratelimit.RETRY_SHARED_AFTER_SECONDS + 1
        assert get(module, SEARCH, caller).status == 200
        # Then the next search is counted in Redis again
        assert list(redis_client.scan_iter(match=f"{prefix}*")) != []
    finally:
        keys = list(redis_client.scan_iter(match=f"{prefix}*"))
        if keys:
            redis_client.delete(*keys)
        redis_client.close()
        ratelimit.reset_limiters()


def reachable_redis() -> str:
    try:
        redis.Redis.from_url(TEST_REDIS, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {TEST_REDIS}")
    return TEST_REDIS
