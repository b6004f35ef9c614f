"""A dataset written by one COPY statement: its time budget is the export's, and the session is left as it was."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from aurion.db import Database
from aurion.exports import streaming
from aurion.exports.datasets import DatasetContext, Deadline, ExportJob, ExportTimeout, build_datasets
from aurion.exports.options import ExportOptions
from aurion.exports.progress import ExportCancelled, Progress
from aurion.exports.writers.csv import write_csv

OPTIONS = ExportOptions(format="csv", scope="conversations", include_call_details=False, include_transcripts=False,
                        include_conversations=False)  # fmt: skip


@pytest.fixture
def db(app_env) -> Any:
    database = Database(app_env.database.app_url, statement_timeout_ms=20_000, connect_timeout_s=5)
    yield database
    database.close()


@pytest.fixture
def tenant(build) -> uuid.UUID:
    tenant = build.tenant()
    build.conn.run(
        "INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, created_at) "
        "SELECT gen_random_uuid(), CAST(:t AS uuid), 'chat', 'low', 'open', 'row ' || n, "
        "timestamptz '2026-03-02 00:00+00' + n * interval '1 second' FROM generate_series(1, 3000) n",
        t=tenant,
    )
    return tenant


def job(tenant: uuid.UUID) -> ExportJob:
    return ExportJob(export_id=str(uuid.uuid4()), tenant_id=str(tenant), tenant_name="T", options=OPTIONS,
                     start_date=date(2026, 3, 1), end_date=date(2026, 3, 31), tz="UTC",
                     created_at=datetime(2026, 4, 1, tzinfo=UTC))  # fmt: skip


def write_in_transaction(db: Database, tenant: uuid.UUID, progress: Progress) -> int:
    with db.transaction(str(tenant)) as tx:
        ctx = DatasetContext(tx, job(tenant), Deadline.unlimited(), progress=progress)
        return write_csv(io.BytesIO(), build_datasets(ctx))


def test_a_copy_that_outlasts_the_exports_time_left_is_the_exports_timeout(db, tenant):
    # Given an export with 1 ms left before its margin (checked before the COPY: still in time)
    deadline = Deadline(lambda: 20_001, margin_seconds=20)
    # When the dataset is written, Then the server stops the COPY at that budget: the export timed out
    with pytest.raises(ExportTimeout, match="did not finish in time"), db.transaction(str(tenant)) as tx:
        write_csv(io.BytesIO(), build_datasets(DatasetContext(tx, job(tenant), deadline)))
    # And the connection is usable again (the transaction was rolled back)
    with db.transaction(str(tenant)) as tx:
        assert tx.value("SELECT 1") == 1


SETTINGS = (
    "SELECT current_setting('statement_timeout') || ' ' || current_setting('TimeZone') || ' ' || current_setting('jit')"
)


def test_a_copy_runs_in_the_exports_zone_with_its_time_left_and_without_jit(db, tenant):
    # Given a session with its own timeout and zone, and JIT on
    with db.transaction(str(tenant)) as tx:
        tx.execute("SET LOCAL TimeZone = 'UTC'")
        tx.execute("SET LOCAL jit = on")
        # When a COPY's settings are in force for an export in Tokyo with 7 s left
        with streaming.copy_settings(tx, 7000, "Asia/Tokyo"):
            # Then the statement may run 7 s, formats instants in Tokyo's time and compiles nothing
            assert tx.value(SETTINGS) == "7s Asia/Tokyo off"
        # And afterwards the session's own are back
        assert tx.value(SETTINGS) == "20s UTC on"


def test_after_a_copy_the_sessions_settings_are_back(db, tenant):
    # Given the connection's own statement timeout, zone and JIT setting
    with db.transaction(str(tenant)) as tx:
        tx.execute("SET LOCAL TimeZone = 'America/New_York'")
        tx.execute("SET LOCAL jit = on")
        # When a dataset (of a UTC export) is written by COPY without a deadline
        count = write_csv(io.BytesIO(), build_datasets(DatasetContext(tx, job(tenant), Deadline.unlimited())))
        # Then every row was written and later queries run under the same settings as before
        assert count == 3000
        assert tx.value(SETTINGS) == "20s America/New_York on"


def test_a_cancel_seen_mid_copy_stops_the_server_instead_of_reading_every_row(db, build, monkeypatch):
    # Given 80,000 conversations, and an admin's cancel seen at the 2nd checkpoint (every 500 rows)
    tenant = build.tenant()
    build.conn.run(
        "INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, created_at) "
        "SELECT gen_random_uuid(), CAST(:t AS uuid), 'chat', 'low', 'open', 'row ' || n, "
        "timestamptz '2026-03-02 00:00+00' + n * interval '1 second' FROM generate_series(1, 80000) n",
        t=tenant,
    )
    seen: list[int] = []

    def record(rows: int) -> None:
        seen.append(rows)
        if len(seen) == 2:
            raise ExportCancelled("cancelled")

    received: list[int] = []
    original = streaming._CopySink.write_rows
    monkeypatch.setattr(
        streaming._CopySink, "write_rows", lambda self, rows: (received.append(len(rows)), original(self, rows))
    )
    progress = Progress(record, every_rows=500, every_seconds=3600)
    # When the dataset is written, Then the cancel stops it
    with pytest.raises(ExportCancelled):
        write_in_transaction(db, tenant, progress)
    # And the server stopped sending: far fewer rows reached the worker than the COPY had
    assert seen == [500, 1000]
    assert sum(received) < 40_000
    # And the connection works again
    with db.transaction(str(tenant)) as tx:
        assert tx.value("SELECT count(*) FROM conversations") == 80_000
