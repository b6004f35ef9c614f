"""The aggregator fans out: one query finds the tenants with work, the worker runs each through the rollup queue.

A database of its own (module-scoped): the dispatcher looks across every tenant, and plans split rebuilds for the
tenants it finds; the session's shared database holds other tests' tenants. moto is the queue. The package's clock
is fixed (tests/support/clock.py); change detection keeps the database's clock, as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pg8000.native
import pytest

import aurion.rollups.parts
import aurion.rollups.scheduled
import aurion.rollups.worker
from aurion.db import Database, connect_params
from aurion.rollups import aggregator, dispatch
from aurion.rollups.jobs import Job, parse_job
from aurion.rollups.parts import Part, run_part
from aurion.rollups.queue import QueueUnavailable
from local.exports_loop import _Context
from local.function_loader import import_function
from tests.support import database as databases
from tests.support.builders import Builder
from tests.support.clock import FixedClock, freeze
from tests.support.rollup_queue import RollupQueue, mocked_rollup_queue

NOW = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def own_database() -> Iterator[databases.TestDatabase]:
    database = databases.create_test_database()
    yield database
    databases.drop_test_database(database)


@pytest.fixture
def owner(own_database: databases.TestDatabase) -> Iterator[pg8000.native.Connection]:
    conn = pg8000.native.Connection(**connect_params(own_database.admin_url))
    # Each test starts from a quiet database: no change waiting, no cycle recorded, no plan open.
    # (every tenant gone too: a tenant never rolled up is due).
    conn.run("TRUNCATE tenants, rollup_dispatches CASCADE")
    yield conn
    conn.close()


@pytest.fixture
def db(own_database: databases.TestDatabase, app_env) -> Iterator[Database]:
    database = aggregator.aggregator_database(own_database.app_url)
    yield database
    database.close()


@pytest.fixture
def rollup_queue(own_database, app_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[RollupQueue]:
    monkeypatch.setenv("AURION_DB_URL", own_database.app_url)
    monkeypatch.setattr(aurion.rollups.scheduled, "_database", None)
    monkeypatch.setattr(aurion.rollups.worker, "_database", None)
    yield from mocked_rollup_queue(monkeypatch)
    for module in (aurion.rollups.scheduled, aurion.rollups.worker):
        if module._database is not None:
            module._database.close()


@pytest.fixture
def fixed(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    return freeze(monkeypatch, NOW)


def function(name: str) -> ModuleType:
    return import_function(databases.REPO / "functions" / name / "app.py", name)


def dispatcher() -> dict[str, Any]:
    """One scheduled invocation of the aggregator (the dispatcher)."""
    return function("aggregator").lambda_handler({}, _Context("AggregatorFunction", 300))


def conversation(build: Builder, tenant: Any, created: datetime, **fields: Any) -> Any:
    return build.conversation(tenant, created, resolved_at=created + timedelta(hours=1), resolved_by="human", **fields)


def rolled_up_tenants(build: Builder, db: Database, count: int) -> list[str]:
    """Tenants with a conversation yesterday, each rolled up once (their logged changes taken by the run)."""
    tenants = [build.tenant() for _ in range(count)]
    for tenant in tenants:
        conversation(build, tenant, NOW - timedelta(days=1))
        assert not aggregator.run_tenant(db, str(tenant), now=NOW).skipped
    return [str(tenant) for tenant in tenants]


def test_an_idle_cycle_queues_nothing(owner, db, rollup_queue, fixed):
    # Given three tenants rolled up today, with no write since
    rolled_up_tenants(Builder(owner), db, 3)
    # When the dispatcher runs a cycle
    summary = dispatcher()
    # Then no tenant is due, nothing is queued, and no change waits
    assert (summary["tenants_due"], summary["runs_queued"], summary["parts_queued"]) == (0, 0, 0)
    assert summary["lag_seconds"] == 0
    assert rollup_queue.depth() == 0


def test_a_write_makes_only_its_tenant_due_until_the_worker_runs_it(owner, db, rollup_queue, fixed):
    # Given three tenants rolled up, then a late resolution written to one of them
    build = Builder(owner)
    first, second, third = rolled_up_tenants(build, db, 3)
    conversation(build, second, NOW - timedelta(days=2))
    # When the dispatcher runs a cycle
    summary = dispatcher()
    # Then exactly that tenant's regular run is queued, and the lag counts its waiting change
    assert summary["tenants_due"] == 1
    assert summary["lag_seconds"] >= 0
    messages = rollup_queue.receive()
    assert [parse_job(message["Body"]) for message in messages] == [Job(second)]
    # When the worker consumes it (the message back on the queue first)
    for message in messages:
        rollup_queue.sqs.change_message_visibility(
            QueueUrl=rollup_queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    consumed, failed = rollup_queue.consume(function("aggregator_worker"))
    # Then it succeeded, the day two days ago is rolled up with both conversations, and the next cycle is idle
    assert (consumed, failed) == (1, set())
    day = (NOW - timedelta(days=2)).date()
    rows = owner.run(
        "SELECT sum(conversations) FROM conversation_daily WHERE tenant_id = CAST(:t AS uuid) AND day = :d "
        "AND dim = 'all'", t=second, d=day,
    )  # fmt: skip
    assert rows == [[1]]
    assert dispatcher()["tenants_due"] == 0
    assert {first, third}.isdisjoint({second})
    assert rollup_queue.depth() == 0


def test_a_bulk_write_across_tenants_and_a_delete_are_logged_once_per_statement_and_tenant(owner, db, fixed):
    # Given two rolled-up tenants
    build = Builder(owner)
    first, second = rolled_up_tenants(build, db, 2)
    # When one statement inserts 50 conversations into each, and another deletes one tenant's
    owner.run(
        "INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, created_at) "
        "SELECT gen_random_uuid(), t, 'email', 'medium', 'open', 's', CAST(:at AS timestamptz) "
        "FROM unnest(CAST(:tenants AS uuid[])) AS t, generate_series(1, 50)",
        tenants=[first, second], at=NOW - timedelta(days=3),
    )  # fmt: skip
    owner.run("DELETE FROM conversations WHERE tenant_id = CAST(:t AS uuid)", t=first)
    # Then the log holds one row per statement and tenant (the delete also notes its days: one more for `first`)
    rows = owner.run("SELECT tenant_id::text, count(*) FROM rollup_changes GROUP BY 1")
    counts = dict((tenant, int(count)) for tenant, count in rows)
    assert counts[second] == 1
    assert counts[first] >= 2
    # And one cycle finds both in one query
    jobs, cycle = dispatch.plan_cycle(db, now=NOW)
    assert sorted(job.tenant_id for job in jobs) == sorted([first, second])
    assert cycle.tenants_due == 2


def test_the_first_cycle_after_midnight_queues_every_rolled_up_tenant(owner, db, rollup_queue, fixed):
    # Given two tenants rolled up today and a cycle recorded
    tenants = rolled_up_tenants(Builder(owner), db, 2)
    dispatch.dispatch(db, lambda bodies: None, now=NOW)
    # When the clock passes midnight and the dispatcher runs
    fixed.now = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time(), UTC) + timedelta(minutes=3)
    dispatcher()
    # Then each gets a regular run (its closed day)
    assert sorted(job.tenant_id for job in rollup_queue.jobs()) == sorted(tenants)


def test_a_tenant_written_without_triggers_is_due_until_its_first_run(owner, db, fixed):
    # Given a rolled-up tenant, and a tenant whose data was written with triggers off (as the dev seed does)
    build = Builder(owner)
    [quiet] = rolled_up_tenants(build, db, 1)
    owner.run("BEGIN")
    owner.run("SET LOCAL session_replication_role = replica")
    tenant = build.tenant()
    conversation(build, tenant, NOW - timedelta(days=3))
    owner.run("COMMIT")
    assert owner.run("SELECT count(*) FROM rollup_changes WHERE tenant_id = CAST(:t AS uuid)", t=tenant) == [[0]]
    # When a cycle runs
    jobs, _ = dispatch.plan_cycle(db, now=NOW)
    # Then the tenant never rolled up is due (a regular run: three closed days), the rolled-up one is not
    assert jobs == [Job(str(tenant))]
    # And once run, it is not due any more
    aggregator.run_tenant(db, str(tenant), now=NOW)
    assert dispatch.plan_cycle(db, now=NOW)[0] == []
    assert quiet


def test_a_deadline_passing_since_the_last_cycle_makes_its_tenant_due(owner, db, fixed):
    # Given a tenant with a conversation created yesterday, unanswered, due 10 minutes from now; rolled up
    build = Builder(owner)
    [quiet] = rolled_up_tenants(build, db, 1)
    tenant = build.tenant()
    build.conversation(tenant, NOW - timedelta(days=1), first_response_due_at=NOW + timedelta(minutes=10))
    aggregator.run_tenant(db, str(tenant), now=NOW)
    dispatch.dispatch(db, lambda bodies: None, now=NOW)
    assert dispatch.plan_cycle(db, now=NOW + timedelta(minutes=5))[0] == []
    # When a cycle runs after the due time passed (with no write)
    jobs, _ = dispatch.plan_cycle(db, now=NOW + timedelta(minutes=15))
    # Then that tenant alone is due
    assert jobs == [Job(str(tenant))]
    assert quiet not in {job.tenant_id for job in jobs}


def test_a_busy_tenant_is_retried_later_not_lost_and_not_applied_twice(
    owner, db, rollup_queue, fixed, own_database, monkeypatch
):
    monkeypatch.setattr(aurion.rollups.worker, "RETRY_SECONDS", 0)
    # Given a rolled-up tenant with a new write, and another session holding its advisory lock
    build = Builder(owner)
    [tenant] = rolled_up_tenants(build, db, 1)
    conversation(build, tenant, NOW - timedelta(days=2))
    holder = pg8000.native.Connection(**connect_params(own_database.admin_url))
    holder.run("BEGIN")
    holder.run("SELECT pg_advisory_xact_lock(hashtextextended('aurion-rollup:' || :t, 0))", t=tenant)
    rollup_queue.send(Job(tenant))
    worker = function("aggregator_worker")
    try:
        # When the worker gets the job
        consumed, failed = rollup_queue.consume(worker)
        # Then it is reported as failed (SQS delivers it again), and the change is still waiting
        assert consumed == 1
        assert len(failed) == 1
        assert rollup_queue.depth() == 1
        assert owner.run("SELECT count(*) FROM rollup_changes WHERE tenant_id = CAST(:t AS uuid)", t=tenant)[0][0] >= 1
    finally:
        holder.run("ROLLBACK")
        holder.close()
    # When it comes back (at once: the retry delay is 0 here) after the lock is released
    consumed, failed = rollup_queue.consume(worker)
    # Then it runs once: the day holds the conversation once, nothing waits
    assert (consumed, failed) == (1, set())
    assert owner.run(
        "SELECT sum(conversations) FROM conversation_daily WHERE tenant_id = CAST(:t AS uuid) AND day = :d "
        "AND dim = 'all'", t=tenant, d=(NOW - timedelta(days=2)).date(),
    ) == [[1]]  # fmt: skip
    assert owner.run("SELECT count(*) FROM rollup_changes WHERE tenant_id = CAST(:t AS uuid)", t=tenant) == [[0]]


def test_a_message_that_is_not_a_job_is_reported_failed(rollup_queue):
    # Given a message that names no tenant on the rollup queue
    rollup_queue.send('{"tenant": "acme"}')
    # When the worker gets it
    consumed, failed = rollup_queue.consume(function("aggregator_worker"))
    # Then it is reported as failed: after the queue's receives it ends in the dead-letter queue
    assert consumed == 1
    assert len(failed) == 1


# ---- a large first rebuild, split by month -------------------------------------------------------------------

HISTORY_DAYS = 100


def daily_rows(owner: pg8000.native.Connection, tenant: str) -> list[list[Any]]:
    return owner.run(
        "SELECT day, dim, key, conversations, resolved, fr_met, fr_breached FROM conversation_daily "
        "WHERE tenant_id = CAST(:t AS uuid) ORDER BY day, dim, key", t=tenant,
    )  # fmt: skip


def tenant_with_history(build: Builder) -> str:
    """A conversation on each of the last HISTORY_DAYS days (Aug 10 to Nov 17), two on the first of each month."""
    tenant = build.tenant()
    for back in range(HISTORY_DAYS, 0, -1):
        created = NOW - timedelta(days=back)
        conversation(build, tenant, created, first_response_at=created + timedelta(minutes=5))
        if created.day == 1:
            conversation(build, tenant, created + timedelta(hours=2))
    return str(tenant)


def test_a_first_rebuild_of_a_long_history_is_queued_as_one_part_per_month(owner, db, rollup_queue, fixed):
    # Given a tenant with 100 days of history, never rolled up
    tenant = tenant_with_history(Builder(owner))
    # When the dispatcher runs a cycle
    summary = dispatcher()
    # Then its rebuild is split at calendar months up to yesterday, and nothing is rolled up yet
    jobs = rollup_queue.jobs()
    assert [(job.part.first.isoformat(), job.part.last.isoformat()) for job in jobs if job.part] == [
        ("2026-08-10", "2026-08-31"), ("2026-09-01", "2026-09-30"), ("2026-10-01", "2026-10-31"),
        ("2026-11-01", "2026-11-17"),
    ]  # fmt: skip
    assert {job.tenant_id for job in jobs} == {tenant}
    assert (summary["tenants_split"], summary["parts_queued"], summary["runs_queued"]) == (1, 4, 0)
    assert owner.run("SELECT count(*) FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant) == [[0]]
    # And the next cycle does not plan it again (its parts are queued)
    assert dispatch.plan_cycle(db, now=NOW + timedelta(minutes=5))[0] == []


def test_no_day_is_lost_when_a_part_fails_and_is_retried(owner, db, rollup_queue, fixed, monkeypatch):
    # Given a tenant's rebuild planned by month
    tenant = tenant_with_history(Builder(owner))
    dispatcher()
    parts = [job.part for job in rollup_queue.jobs() if job.part]
    september = next(part for part in parts if part.first.month == 9)
    # When every part but September runs, and September's fails half-way (its second family raises)
    for part in parts:
        if part != september:
            assert not run_part(db, tenant, part).skipped
    real = aurion.rollups.parts.FAMILIES

    def boom(*_args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(aurion.rollups.parts, "FAMILIES", (real[0], replace(real[1], rebuild=boom), *real[2:]))
    with pytest.raises(RuntimeError):
        run_part(db, tenant, september)
    # Then the watermark has not moved (reads take those days raw) and none of September's days were kept
    assert owner.run("SELECT count(*) FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant) == [[0]]
    assert not [row for row in daily_rows(owner, tenant) if row[0].month == 9]
    # And a regular run in between leaves the tenant to its parts (and its change waiting)
    assert aggregator.run_tenant(db, tenant, now=NOW).planned
    assert owner.run("SELECT count(*) FROM rollup_changes WHERE tenant_id = CAST(:t AS uuid)", t=tenant)[0][0] > 0
    # When September is retried, and a part already done is delivered again
    monkeypatch.setattr(aurion.rollups.parts, "FAMILIES", real)
    assert run_part(db, tenant, september).finished
    assert run_part(db, tenant, parts[0]).already_done
    # Then the watermark is today, and the rollups equal a single full rebuild of the same tenant
    state = owner.run("SELECT rolled_until, as_of FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant)
    assert state == [[NOW.date(), NOW]]
    split = daily_rows(owner, tenant)
    assert len({row[0] for row in split}) == HISTORY_DAYS
    owner.run("DELETE FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant)
    assert aggregator.run_tenant(db, tenant, now=NOW).days_rebuilt == HISTORY_DAYS
    assert daily_rows(owner, tenant) == split


def test_parts_of_one_tenant_run_side_by_side_and_the_last_to_finish_moves_the_watermark(
    owner, db, rollup_queue, fixed, own_database
):
    # Given a tenant's rebuild planned by month
    tenant = tenant_with_history(Builder(owner))
    dispatcher()
    parts = [job.part for job in rollup_queue.jobs() if job.part]

    # When four workers run its four parts at once, each with its own connection
    def run(part: Part) -> Any:
        own = aggregator.aggregator_database(own_database.app_url)
        try:
            return run_part(own, tenant, part)
        finally:
            own.close()

    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        results = list(pool.map(run, parts))
    # Then none was turned away by another, exactly one finished the plan, and the watermark is today
    assert [result.skipped for result in results] == [False] * len(parts)
    assert sum(result.finished for result in results) == 1
    assert owner.run("SELECT rolled_until FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant) == [
        [NOW.date()]
    ]
    assert owner.run("SELECT count(*) FROM rollup_parts WHERE tenant_id = CAST(:t AS uuid)", t=tenant) == [[0]]


def test_parts_whose_message_was_lost_are_queued_again_by_a_later_cycle(owner, db, rollup_queue, fixed):
    # Given a tenant's rebuild planned by month, its messages gone (dead-lettered), September already done
    tenant = tenant_with_history(Builder(owner))
    dispatcher()
    parts = [job.part for job in rollup_queue.jobs() if job.part]
    september = next(part for part in parts if part.first.month == 9)
    assert run_part(db, tenant, september).days_rebuilt == 30
    # When a cycle runs before the parts are stale, and another after they were queued over 30 minutes ago
    assert dispatch.plan_cycle(db, now=NOW + timedelta(minutes=5))[0] == []
    owner.run("UPDATE rollup_parts SET enqueued_at = enqueued_at - interval '31 minutes'")
    jobs, cycle = dispatch.plan_cycle(db, now=NOW + timedelta(minutes=35))
    # Then the later one queues the open parts again (not September, and the plan is not made anew)
    assert sorted(job.part.first for job in jobs if job.part) == sorted(p.first for p in parts if p != september)
    assert cycle.planned == 0
    assert dispatch.plan_cycle(db, now=NOW + timedelta(minutes=40))[0] == []


def test_parts_that_could_not_be_sent_are_queued_by_the_next_cycle(owner, db, rollup_queue, fixed):
    # Given a tenant's first rebuild planned by month while the queue refuses every message
    tenant = tenant_with_history(Builder(owner))

    def refuse(bodies):
        raise QueueUnavailable("the queue is down")

    with pytest.raises(QueueUnavailable):
        dispatch.dispatch(db, refuse, now=NOW)
    # When the next cycle runs, five minutes later (long before a queued part would count as stale)
    jobs, cycle = dispatch.plan_cycle(db, now=NOW + timedelta(minutes=5))
    # Then it queues every part of the plan, without planning it again
    assert [job.part.first.isoformat() for job in jobs if job.part] == [
        "2026-08-10",
        "2026-09-01",
        "2026-10-01",
        "2026-11-01",
    ]
    assert {job.tenant_id for job in jobs} == {tenant}
    assert cycle.planned == 0


def test_after_a_long_gap_the_closed_days_are_split_and_the_old_change_clock_is_kept(owner, db, fixed):
    # Given a tenant rolled up 45 days ago (its history written before), then not for 45 days
    build = Builder(owner)
    tenant = tenant_with_history(build)
    long_ago = NOW - timedelta(days=45)
    assert not aggregator.run_tenant(db, tenant, now=long_ago).skipped
    [[seen_before]] = owner.run(
        "SELECT changes_seen_until FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant
    )
    # When a cycle runs now
    jobs, cycle = dispatch.plan_cycle(db, now=NOW)
    # Then the 45 closed days since its watermark are planned by month (October 4 to November 17)
    assert [(job.part.first.isoformat(), job.part.last.isoformat()) for job in jobs if job.part] == [
        ("2026-10-04", "2026-10-31"), ("2026-11-01", "2026-11-17"),
    ]  # fmt: skip
    assert cycle.planned == 1
    # When both parts run
    for job in jobs:
        run_part(db, tenant, job.part)
    # Then the watermark is today, and the change clock is the old one: the next run re-reads the gap's writes
    [[rolled_until, seen]] = owner.run(
        "SELECT rolled_until, changes_seen_until FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant
    )
    assert (rolled_until, seen) == (NOW.date(), seen_before)
    assert len({row[0] for row in daily_rows(owner, tenant)}) == HISTORY_DAYS
