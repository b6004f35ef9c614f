"""`make bench TENANTS=10000`: the aggregator's fan-out over many tenants (issue 15).

A database of its own (aurion_bench_tenants: the dispatcher looks across every tenant, and the default and 10m
benchmarks must not see it plan or run theirs): LARGE_TENANTS tenants of 1,000,000 conversations (the default
benchmark's generator and seed) and the rest small ones, made in SQL (generate_series): SMALL_CONVERSATIONS each
over the last 30 days, a fifth still open with due times ahead. Measured, with the template's concurrency
(AggregatorConcurrency) simulated by that many worker threads, each with its own connection (a warm Lambda
environment each), and the queue in memory (SQS's latency not included):

- the first cycle of tenants never rolled up (only when the small tenants are new: setup, reported once);
- an idle cycle (nothing written since): the dispatcher's one query and its write (target ≤ 1 s);
- a cycle after 5 minutes of traffic across ACTIVE_TENANTS tenants (the large ones among them): for each small
  one a new conversation and a late resolution, for each large one its 5 minutes at 1,000,000 a year (10 new,
  10 late resolutions, 3 CSAT answers), written one statement per kind as the ingest batches do; from the
  dispatcher's start to the last job's end (target ≤ 60 s). The new conversations of the large tenants are
  deleted after (and rolled up again), so the 1,000,000 stay 1,000,000;
- the first rebuild of one large tenant split by month: every part's time, the longest against the worker's
  300 s timeout;
- the change log's triggers on bulk writes: COPY of COPY_ROWS conversation rows and an UPDATE of all of them,
  with 0019's statement triggers and without (disabled in the measuring transaction, rolled back after).
"""

from __future__ import annotations

import io
import logging
import queue
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pg8000.native

from aurion.db import Database, connect_params
from aurion.rollups.aggregator import aggregator_database
from aurion.rollups.dispatch import dispatch
from aurion.rollups.jobs import parse_job
from aurion.rollups.worker import TenantBusy, run_job
from local import embedded_pg
from local.cfn import load_template
from local.paths import TEMPLATE

DATABASE = "aurion_bench_tenants"
LARGE_TENANTS = ("bench", "bench-b")
LARGE_CONVERSATIONS, LARGE_CALLS = 1_000_000, 300_000
SMALL_PREFIX = "bench-small-"
SMALL_CONVERSATIONS = 30
ACTIVE_TENANTS = 1_000
COPY_ROWS = 100_000
IDLE_TARGET_S, TRAFFIC_TARGET_S, PART_LIMIT_S = 1.0, 60.0, 300.0

SMALL_TENANTS_SQL = """
INSERT INTO tenants (id, slug, name, plan, products)
SELECT md5(:prefix || i)::uuid, :prefix || lpad(i::text, 5, '0'), 'Bench small ' || i, 'starter', ARRAY['helpdesk']
FROM generate_series(1, :n) AS i
ON CONFLICT (slug) DO NOTHING
"""
# Spread over the last 30 days by the tenant's hash, a fifth open (due times ahead of some of them).
SMALL_CONVERSATIONS_SQL = """
INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, created_at, first_response_at,
                           resolved_at, resolved_by, first_response_due_at, resolution_due_at, escalated)
SELECT gen_random_uuid(), t.id, (ARRAY['email', 'chat', 'voice', 'whatsapp'])[1 + k % 4],
       (ARRAY['urgent', 'high', 'medium', 'low'])[1 + k % 4], CASE WHEN k % 5 = 0 THEN 'open' ELSE 'resolved' END,
       'Bench', c.created, c.created + interval '20 minutes',
       CASE WHEN k % 5 = 0 THEN NULL ELSE c.created + interval '5 hours' END,
       CASE WHEN k % 5 = 0 THEN NULL WHEN k % 2 = 0 THEN 'ai' ELSE 'human' END,
       c.created + interval '1 hour', c.created + interval '30 days', k % 7 = 0
FROM tenants AS t
CROSS JOIN generate_series(1, :per) AS k
CROSS JOIN LATERAL (SELECT now() - make_interval(hours => k * 23 + abs(hashtext(t.id::text)) % 23) AS created) AS c
WHERE t.slug LIKE :prefix || '%' AND NOT EXISTS (SELECT FROM conversations AS v WHERE v.tenant_id = t.id)
"""
# 5 minutes of traffic: new conversations, late resolutions (a conversation of the last days resolved now), CSAT
# answers arriving. Each a statement over every active tenant, as an ingest batch writes its tenants' events.
NEW_SMALL_SQL = """
INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, created_at, first_response_due_at)
SELECT gen_random_uuid(), id, 'chat', 'medium', 'open', 'Bench traffic', now() - interval '2 minutes',
       now() + interval '1 hour'
FROM tenants WHERE id = ANY(CAST(:tenants AS uuid[]))
"""
NEW_LARGE_SQL = """
INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, created_at)
SELECT gen_random_uuid(), t, 'email', 'high', 'open', 'Bench traffic', now() - random() * interval '5 minutes'
FROM unnest(CAST(:tenants AS uuid[])) AS t, generate_series(1, :n)
"""
# The traffic's new conversations go after their cycle: left behind, their deadlines (an hour on) would pass
# during a later run's idle cycles and make ~1,000 tenants due there.
FORGET_TRAFFIC_SQL = "DELETE FROM conversations WHERE subject = 'Bench traffic'"
LATE_RESOLUTIONS_SQL = """
UPDATE conversations AS c SET status = 'resolved', resolved_at = now(), resolved_by = 'human'
FROM (SELECT t, (SELECT array_agg(v.id) FROM (
          SELECT id FROM conversations
          WHERE tenant_id = t AND resolved_at IS NULL AND created_at < now() - interval '1 day'
          ORDER BY created_at DESC LIMIT :n) AS v) AS ids
      FROM unnest(CAST(:tenants AS uuid[])) AS t) AS picked
WHERE c.tenant_id = picked.t AND c.id = ANY(picked.ids)
"""
CSAT_SQL = """
UPDATE csat_surveys SET rating = rating
WHERE id IN (SELECT s.id FROM unnest(CAST(:tenants AS uuid[])) AS t
             CROSS JOIN LATERAL (SELECT id FROM csat_surveys WHERE tenant_id = t AND responded_at IS NOT NULL
                                 ORDER BY responded_at DESC LIMIT :n) AS s)
"""


def template_concurrency() -> int:
    """The default of the template's AggregatorConcurrency (the worker mapping's MaximumConcurrency)."""
    return int(load_template(TEMPLATE)["Parameters"]["AggregatorConcurrency"]["Default"])


@dataclass
class CycleTiming:
    tenants_due: int
    jobs: int
    dispatch_s: float
    wall_s: float
    job_seconds: list[float] = field(default_factory=list)
    busy_retries: int = 0
    failures: int = 0

    @property
    def max_job_s(self) -> float:
        return max(self.job_seconds, default=0.0)

    @property
    def median_job_ms(self) -> float:
        return statistics.median(self.job_seconds) * 1000 if self.job_seconds else 0.0


@dataclass
class TenantsResult:
    tenants: int
    large: int
    small_conversations: int
    workers: int
    first_cycle: CycleTiming | None
    idle: list[CycleTiming]
    traffic: CycleTiming
    active: int
    split: CycleTiming
    split_parts: list[tuple[str, float]]
    triggers: dict[str, tuple[float, float]]


class Workers:
    """WORKERS threads, each with its own aggregator connection, draining an in-memory queue of job bodies."""

    def __init__(self, app_url: str, count: int) -> None:
        self.databases = [aggregator_database(app_url) for _ in range(count)]
        for database in self.databases:  # connected before anything is timed, as warm environments are
            with database.transaction(None) as tx:
                tx.value("SELECT 1")

    def close(self) -> None:
        for database in self.databases:
            database.close()

    def cycle(self, dispatcher: Database) -> CycleTiming:
        bodies: list[str] = []
        started = time.perf_counter()
        found = dispatch(dispatcher, bodies.extend)
        dispatched = time.perf_counter()
        jobs: queue.Queue[str] = queue.Queue()
        for body in bodies:
            jobs.put(body)
        timing = CycleTiming(found.tenants_due, len(bodies), round(dispatched - started, 3), 0.0)
        lock = threading.Lock()

        def work(database: Database) -> None:
            while True:
                try:
                    body = jobs.get_nowait()
                except queue.Empty:
                    return
                job_started = time.perf_counter()
                try:
                    run_job(database, parse_job(body))
                except TenantBusy:
                    with lock:
                        timing.busy_retries += 1
                    time.sleep(0.05)  # SQS brings it back later; here at once, after a pause
                    jobs.put(body)
                    continue
                except Exception as exc:
                    print(f"  job failed: {type(exc).__name__}: {exc}", flush=True)
                    with lock:
                        timing.failures += 1
                    continue
                with lock:
                    timing.job_seconds.append(time.perf_counter() - job_started)

        threads = [threading.Thread(target=work, args=(database,)) for database in self.databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        timing.wall_s = round(time.perf_counter() - started, 3)
        return timing


def _owner(admin_url: str) -> pg8000.native.Connection:
    return pg8000.native.Connection(**connect_params(admin_url))


def ensure_small_tenants(admin_url: str, count: int) -> bool:
    """count small tenants with their conversations; True when any was new (never rolled up)."""
    owner = _owner(admin_url)
    try:
        owner.run(SMALL_TENANTS_SQL, prefix=SMALL_PREFIX, n=count)
        owner.run(SMALL_CONVERSATIONS_SQL, prefix=SMALL_PREFIX, per=SMALL_CONVERSATIONS)
        never = owner.run(
            "SELECT count(*) FROM tenants t WHERE t.slug LIKE :p || '%' "
            "AND NOT EXISTS (SELECT FROM rollup_state s WHERE s.tenant_id = t.id)",
            p=SMALL_PREFIX,
        )[0][0]
        owner.run("VACUUM (ANALYZE) conversations")
    finally:
        owner.close()
    return bool(never)


def _ids(owner: pg8000.native.Connection, where: str, **params: Any) -> list[str]:
    return [str(row[0]) for row in owner.run(f"SELECT id::text FROM tenants WHERE {where} ORDER BY id", **params)]


def write_traffic(admin_url: str, small: list[str], large: list[str]) -> None:
    """Five minutes of writes (see the module docstring)."""
    owner = _owner(admin_url)
    try:
        owner.run(NEW_SMALL_SQL, tenants=small)
        owner.run(LATE_RESOLUTIONS_SQL, tenants=small, n=1)
        owner.run(NEW_LARGE_SQL, tenants=large, n=10)
        owner.run(LATE_RESOLUTIONS_SQL, tenants=large, n=10)
        owner.run(CSAT_SQL, tenants=large, n=3)
    finally:
        owner.close()


def measure_split(admin_url: str, workers: Workers, dispatcher: Database, tenant_id: str) -> CycleTiming:
    """The tenant's rollups forgotten, then one cycle: its rebuild planned by month, the parts run by the workers."""
    owner = _owner(admin_url)
    try:
        owner.run("DELETE FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant_id)
        owner.run("INSERT INTO rollup_changes (tenant_id) VALUES (CAST(:t AS uuid))", t=tenant_id)
    finally:
        owner.close()
    return workers.cycle(dispatcher)


def measure_triggers(admin_url: str, tenant_id: str, rounds: int = 5) -> dict[str, tuple[float, float]]:
    """{'COPY …': (seconds without, seconds with), 'UPDATE …': …}: medians of `rounds`.

    Into `conversations` itself (its indexes and other triggers included), each round in a transaction rolled
    back; "without" has 0019's triggers disabled inside that transaction (this database is the bench's own)."""
    owner = _owner(admin_url)
    rows = "".join(
        f"{i:08x}-0000-4000-8000-{i:012x},{tenant_id},email,medium,open,copy,2026-10-{1 + i % 28:02d} 10:00+00\n"
        for i in range(COPY_ROWS)
    ).encode()
    copy_s: tuple[list[float], list[float]] = ([], [])
    update_s: tuple[list[float], list[float]] = ([], [])
    try:
        for round_ in range(rounds):
            # Alternating which goes first: the first of a pair meets the colder caches.
            for logged in (False, True) if round_ % 2 else (True, False):
                owner.run("BEGIN")
                try:
                    if not logged:
                        for event in ("inserts", "updates"):
                            owner.run(f"ALTER TABLE conversations DISABLE TRIGGER conversations_log_{event}")
                    started = time.perf_counter()
                    owner.run(
                        "COPY conversations (id, tenant_id, channel, priority, status, subject, created_at) "
                        "FROM STDIN WITH (FORMAT csv)",
                        stream=io.BytesIO(rows),
                    )
                    copy_s[logged].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    owner.run(
                        "UPDATE conversations SET status = 'resolved', resolved_at = created_at, resolved_by = 'ai' "
                        "WHERE tenant_id = CAST(:t AS uuid) AND subject = 'copy'",
                        t=tenant_id,
                    )
                    update_s[logged].append(time.perf_counter() - started)
                finally:
                    owner.run("ROLLBACK")
    finally:
        owner.close()
    return {
        f"COPY of {COPY_ROWS:,} rows": (statistics.median(copy_s[0]), statistics.median(copy_s[1])),
        f"UPDATE of {COPY_ROWS:,} rows": (statistics.median(update_s[0]), statistics.median(update_s[1])),
    }


def run_tenants_benchmark(server_url: str, tenants: int, ensure_tenant: Any, app_password: str) -> TenantsResult:
    """ensure_tenant: local.bench's generator of a large tenant (admin_url, slug, conversations, calls) -> id."""
    from aurion.migrate import migrate
    from local.stack import _replace_credentials

    # One INFO line per tenant's run (10,000 a cycle) is noise here, and costs the worker threads time.
    logging.getLogger("aurion-analytics").setLevel(logging.WARNING)
    admin_url = embedded_pg.ensure_database(embedded_pg.with_database(server_url, "postgres"), DATABASE)
    migrate(admin_url, app_password=app_password)
    app_url = _replace_credentials(admin_url, "aurion_app", app_password)
    large = [ensure_tenant(admin_url, slug, LARGE_CONVERSATIONS, LARGE_CALLS) for slug in LARGE_TENANTS]
    new_small = ensure_small_tenants(admin_url, tenants - len(large))
    owner = _owner(admin_url)
    try:
        owner.run(FORGET_TRAFFIC_SQL)  # an interrupted run's
    finally:
        owner.close()
    count = template_concurrency()
    workers = Workers(app_url, count)
    dispatcher = aggregator_database(app_url)
    try:
        # Whatever the last run left (its traffic, a new small tenant) rolled up first.
        first = workers.cycle(dispatcher)
        if new_small:
            print(f"first cycle of new tenants: {first.jobs} jobs, {first.wall_s} s", flush=True)
        idle = [workers.cycle(dispatcher) for _ in range(3)]
        print(f"idle cycles: {[cycle.wall_s for cycle in idle]} s", flush=True)
        owner = _owner(admin_url)
        try:
            small = _ids(owner, "slug LIKE :p || '%'", p=SMALL_PREFIX)[: ACTIVE_TENANTS - len(large)]
        finally:
            owner.close()
        write_traffic(admin_url, small, large)
        traffic = workers.cycle(dispatcher)
        print(f"traffic cycle: {traffic.wall_s} s, {traffic.jobs} jobs, max {traffic.max_job_s:.2f} s", flush=True)
        owner = _owner(admin_url)
        try:
            owner.run(FORGET_TRAFFIC_SQL)
        finally:
            owner.close()
        workers.cycle(dispatcher)
        split = measure_split(admin_url, workers, dispatcher, large[0])
        print(f"split rebuild: {split.jobs} parts, max {split.max_job_s:.1f} s, wall {split.wall_s} s", flush=True)
        parts = [(f"part {i + 1}", seconds) for i, seconds in enumerate(split.job_seconds)]
        triggers = measure_triggers(admin_url, small[0])
        print(f"triggers: {triggers}", flush=True)
    finally:
        dispatcher.close()
        workers.close()
    return TenantsResult(
        tenants=tenants, large=len(large), small_conversations=SMALL_CONVERSATIONS, workers=count,
        first_cycle=first if new_small else None, idle=idle, traffic=traffic, active=len(small) + len(large),
        split=split, split_parts=parts, triggers=triggers,
    )  # fmt: skip
