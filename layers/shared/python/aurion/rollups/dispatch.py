"""One aggregator cycle (EventBridge, every 5 minutes): find the tenants with work in one query, queue a job each.

A tenant has work when (aurion_rollup_due, migration 0019):
- it wrote to a rollup source since its last run (rollup_changes, kept by statement triggers);
- a UTC day closed since its watermark (the first cycle after midnight takes every rolled-up tenant);
- one of its unanswered conversations passed its due time since the last cycle (it turns "breached" with no
  write), from indexes on the due times across tenants;
- a split rebuild of it is under way (its parts queued long ago and not done are queued again).
An idle cycle is that query and a write of this cycle's clock: its cost does not grow with the tenants.

A tenant never rolled up, or whose watermark is more than SPLIT_AFTER_DAYS behind, is planned by month
(aurion/rollups/parts.py) and gets one job per part; every other tenant gets one job for a regular run
(aurion/rollups/aggregator.py run_tenant). The jobs go to the rollup queue in batches of ten; the worker
(aurion/rollups/worker.py) consumes them with the concurrency the template sets.

The cycle's clock is recorded only once its jobs are queued: a cycle that fails is redone whole by the next one
(deadlines since the last recorded cycle included), and a job queued twice runs idempotently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from aurion import clock
from aurion.db import Database
from aurion.rollups.aggregator import CHANGE_MARGIN
from aurion.rollups.jobs import Job
from aurion.rollups.parts import SPLIT_AFTER_DAYS, Part, mark_unsent, plan_rebuild, stale_parts

DUE_SQL = """
SELECT tenant_id::text AS tenant_id, rolled_until, planned, oldest_change
FROM aurion_rollup_due(CAST(:today AS date), :due_since, :as_of)
"""
LAST_CYCLE_SQL = "SELECT as_of, now() AS db_now FROM rollup_dispatches"
SAVE_CYCLE_SQL = """
INSERT INTO rollup_dispatches (as_of) VALUES (:as_of) ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of
"""
# With no cycle recorded (a new deployment), deadlines of the last day count: every tenant is due then anyway
# (0019 logs each once).
FIRST_LOOK_BACK = timedelta(days=1)
# A part queued this long ago and not done is queued again: above the worker's timeout and retries.
STALE_PART_SECONDS = 1800.0


@dataclass(frozen=True)
class Cycle:
    tenants_due: int
    runs: int
    parts: int
    # Tenants whose rebuild was split in this cycle.
    planned: int
    # Age of the oldest change not rolled up yet (the database's clock; 0 when none is waiting).
    lag_seconds: float
    query_ms: float
    total_ms: float


def plan_cycle(db: Database, *, now: datetime | None = None) -> tuple[list[Job], Cycle]:
    """The jobs of this cycle (planning split rebuilds as it goes), and what it found; records nothing else."""
    started = time.perf_counter()
    as_of = (now or clock.now()).astimezone(UTC)
    today = as_of.date()
    with db.transaction(None) as tx:
        last = tx.one(LAST_CYCLE_SQL)
        db_now: datetime = last["db_now"] if last else tx.value("SELECT now()")
        due_since = (last["as_of"] if last else as_of - FIRST_LOOK_BACK) - CHANGE_MARGIN
        rows = tx.all(DUE_SQL, today=today, due_since=due_since, as_of=as_of)
    query_ms = (time.perf_counter() - started) * 1000
    jobs: list[Job] = []
    planned = 0
    for row in rows:
        tenant_id, rolled_until = row["tenant_id"], row["rolled_until"]
        if row["planned"]:
            jobs += [Job(tenant_id, part) for part in stale_parts(db, tenant_id, stale_s=STALE_PART_SECONDS)]
            continue
        if rolled_until is None or (today - rolled_until).days > SPLIT_AFTER_DAYS:
            parts = plan_rebuild(db, tenant_id, rolled_until=rolled_until, as_of=as_of)
            if parts:
                planned += 1
                jobs += [Job(tenant_id, part) for part in parts]
                continue
        jobs.append(Job(tenant_id))
    oldest = [row["oldest_change"] for row in rows if row["oldest_change"] is not None]
    lag = max(0.0, (db_now - min(oldest)).total_seconds()) if oldest else 0.0
    runs = sum(job.part is None for job in jobs)
    cycle = Cycle(
        tenants_due=len(rows), runs=runs, parts=len(jobs) - runs, planned=planned, lag_seconds=round(lag, 3),
        query_ms=round(query_ms, 1), total_ms=round((time.perf_counter() - started) * 1000, 1),
    )  # fmt: skip
    return jobs, cycle


def _mark_parts_unsent(db: Database, jobs: list[Job]) -> None:
    by_tenant: dict[str, list[Part]] = {}
    for job in jobs:
        if job.part is not None:
            by_tenant.setdefault(job.tenant_id, []).append(job.part)
    for tenant_id, parts in by_tenant.items():
        mark_unsent(db, tenant_id, parts)


def dispatch(db: Database, send: Callable[[Sequence[str]], None], *, now: datetime | None = None) -> Cycle:
    """Plan the cycle, queue its jobs through `send`, then record the cycle's clock."""
    started = time.perf_counter()
    as_of = (now or clock.now()).astimezone(UTC)
    jobs, cycle = plan_cycle(db, now=as_of)
    try:
        send([job.body() for job in jobs])
    except Exception:
        # Some may have been sent (a part runs idempotently twice); those that were not must not wait for the
        # stale-part sweep: the next cycle queues every part of this one again.
        _mark_parts_unsent(db, jobs)
        raise
    with db.transaction(None) as tx:
        tx.execute(SAVE_CYCLE_SQL, as_of=as_of)
    return replace(cycle, total_ms=round((time.perf_counter() - started) * 1000, 1))
