"""A large rebuild split by month: a tenant's first run, or its first after a long gap.

A year of a 1,000,000-conversation tenant takes tens of seconds to rebuild in one transaction, ten times that at
10,000,000: too close to the worker's 300 s. The dispatcher plans such a rebuild as one part per calendar month
(rollup_parts, migration 0019) and queues a message per part. Then:
- each part rebuilds its own days (every family, delete and re-insert: idempotent) and commits them with its
  `done_at`; a part redelivered after it committed finds itself done and does nothing, one that failed rolled
  back whole and runs again;
- parts of a tenant run side by side (their days are disjoint) under the tenant's advisory lock taken SHARED, so
  a regular run (which takes it exclusively) never overlaps them, and skips the tenant while a plan is open;
- the part that finds every part done moves the watermark (rollup_state) and deletes the plan. Two parts
  finishing at once check under a second lock, one after the other: the later sees the earlier's commit.
Until then the watermark does not move and reads take those days raw: a failed part delays the rollups, it never
leaves a day out of them.

What the state records once done: a first run records the plan's clocks (its `as_of`, and the database's time at
planning as `changes_seen_until`): the writes made while the parts ran are newer, and the next regular run takes
them. After a gap the old clocks are kept, so the next run also re-reads the gap's writes to older days.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aurion.db import Database, Transaction
from aurion.logs import logger
from aurion.rollups.aggregator import FAMILIES, SAVE_STATE_SQL, analyze_rewritten

# More closed days than this to rebuild at once, and the rebuild is split by month.
SPLIT_AFTER_DAYS = 31

SHARED_LOCK_SQL = "SELECT pg_try_advisory_xact_lock_shared(hashtextextended('aurion-rollup:' || :tenant_id, 0))"
# Serialises the "was I the last part?" check of one tenant's parts (held for the rest of a short transaction).
PLAN_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('aurion-rollup-plan:' || :tenant_id, 0))"
FIRST_DAY_SQL = "SELECT least(" + ", ".join(f"({family.first_day_sql})" for family in FAMILIES) + ")"
STATE_SQL = """
SELECT as_of, changes_seen_until FROM rollup_state WHERE tenant_id = CAST(:tenant_id AS uuid)
"""
INSERT_PART_SQL = """
INSERT INTO rollup_parts (tenant_id, first_day, last_day, as_of, rolled_until, state_as_of, changes_seen_until)
VALUES (CAST(:tenant_id AS uuid), :first, :last, :as_of, :rolled_until, :state_as_of,
        coalesce(CAST(:changes_seen_until AS timestamptz), now()))
ON CONFLICT DO NOTHING
"""
PART_SQL = """
SELECT as_of, done_at FROM rollup_parts
WHERE tenant_id = CAST(:tenant_id AS uuid) AND first_day = :first AND last_day = :last
"""
DONE_SQL = """
UPDATE rollup_parts SET done_at = now(), days_rebuilt = :days
WHERE tenant_id = CAST(:tenant_id AS uuid) AND first_day = :first
"""
PLAN_SQL = """
SELECT count(*) FILTER (WHERE done_at IS NULL) AS open, sum(days_rebuilt)::int AS days,
       min(rolled_until) AS rolled_until, min(state_as_of) AS as_of, min(changes_seen_until) AS changes_seen_until
FROM rollup_parts WHERE tenant_id = CAST(:tenant_id AS uuid)
"""
DELETE_PLAN_SQL = "DELETE FROM rollup_parts WHERE tenant_id = CAST(:tenant_id AS uuid)"
# Parts whose messages could not be sent: the next cycle queues them, instead of waiting for them to go stale.
UNSENT_PARTS_SQL = """
UPDATE rollup_parts SET enqueued_at = '-infinity'
WHERE tenant_id = CAST(:tenant_id AS uuid) AND done_at IS NULL AND first_day = ANY(CAST(:firsts AS date[]))
"""
# Parts queued long ago and still not done: their message went to the dead-letter queue, or was lost.
STALE_PARTS_SQL = """
UPDATE rollup_parts SET enqueued_at = now()
WHERE tenant_id = CAST(:tenant_id AS uuid) AND done_at IS NULL AND enqueued_at < now() - make_interval(secs => :stale_s)
RETURNING first_day, last_day
"""


@dataclass(frozen=True)
class Part:
    first: date
    last: date


@dataclass(frozen=True)
class PartResult:
    tenant_id: str
    part: Part
    skipped: bool = False
    # Redelivered after it committed (or its plan already finished): nothing to do.
    already_done: bool = False
    days_rebuilt: int = 0
    run_ms: float = 0.0
    # This part was the plan's last: the watermark moved.
    finished: bool = False


def month_parts(first: date, last: date) -> list[Part]:
    """first..last cut at calendar months."""
    parts = []
    start = first
    while start <= last:
        next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        parts.append(Part(start, min(last, next_month - timedelta(days=1))))
        start = next_month
    return parts


def plan_rebuild(db: Database, tenant_id: str, *, rolled_until: date | None, as_of: datetime) -> list[Part] | None:
    """The parts of a large rebuild, recorded; None when a regular run is small enough (or nothing is closed)."""
    today = as_of.astimezone(UTC).date()
    with db.transaction(tenant_id) as tx:
        start = rolled_until if rolled_until is not None else _first_day(tx, tenant_id)
        if start is None or (today - start).days <= SPLIT_AFTER_DAYS:
            return None
        state = tx.one(STATE_SQL, tenant_id=tenant_id) if rolled_until is not None else None
        parts = month_parts(start, today - timedelta(days=1))
        for part in parts:
            tx.execute(
                INSERT_PART_SQL, tenant_id=tenant_id, first=part.first, last=part.last, as_of=as_of,
                rolled_until=today, state_as_of=state["as_of"] if state else as_of,
                changes_seen_until=state["changes_seen_until"] if state else None,
            )  # fmt: skip
    logger.info("rollup rebuild split", extra={"tenant_id": tenant_id, "parts": len(parts), "first_day": str(start)})
    return parts


def _first_day(tx: Transaction, tenant_id: str) -> date | None:
    value = tx.value(FIRST_DAY_SQL, tenant_id=tenant_id)
    return value if isinstance(value, date) else None


def stale_parts(db: Database, tenant_id: str, *, stale_s: float) -> list[Part]:
    """The open parts of a plan queued more than stale_s ago, marked queued now (the caller queues them again)."""
    with db.transaction(tenant_id) as tx:
        rows = tx.all(STALE_PARTS_SQL, tenant_id=tenant_id, stale_s=stale_s)
    return [Part(row["first_day"], row["last_day"]) for row in rows]


def mark_unsent(db: Database, tenant_id: str, parts: list[Part]) -> None:
    with db.transaction(tenant_id) as tx:
        firsts = "{" + ",".join(part.first.isoformat() for part in parts) + "}"
        tx.execute(UNSENT_PARTS_SQL, tenant_id=tenant_id, firsts=firsts)


def run_part(db: Database, tenant_id: str, part: Part) -> PartResult:
    started = time.perf_counter()
    with db.transaction(tenant_id) as tx:
        if not tx.value(SHARED_LOCK_SQL, tenant_id=tenant_id):
            return PartResult(tenant_id, part, skipped=True)
        row = tx.one(PART_SQL, tenant_id=tenant_id, first=part.first, last=part.last)
        if row is None or row["done_at"] is not None:
            return PartResult(tenant_id, part, already_done=True)
        for family in FAMILIES:
            family.rebuild(tx, tenant_id, part.first, part.last, row["as_of"])
        days = (part.last - part.first).days + 1
        tx.execute(DONE_SQL, tenant_id=tenant_id, first=part.first, days=days)
        finished = _finish_if_last(tx, tenant_id, started)
        run_ms = round((time.perf_counter() - started) * 1000, 1)
    analyze_rewritten(db)
    logger.info(
        "rollup part rebuilt",
        extra={"tenant_id": tenant_id, "first_day": str(part.first), "days_rebuilt": days, "run_ms": run_ms,
               "finished": finished},
    )  # fmt: skip
    return PartResult(tenant_id, part, days_rebuilt=days, run_ms=run_ms, finished=finished)


def _finish_if_last(tx: Transaction, tenant_id: str, started: float) -> bool:
    tx.value(PLAN_LOCK_SQL, tenant_id=tenant_id)
    # A new statement after the lock: its snapshot sees the parts that finished while this one waited.
    plan = tx.one(PLAN_SQL, tenant_id=tenant_id)
    if plan is None or plan["open"]:
        return False
    tx.execute(
        SAVE_STATE_SQL, tenant_id=tenant_id, rolled_until=plan["rolled_until"], as_of=plan["as_of"],
        changes_seen_until=plan["changes_seen_until"], run_ms=round((time.perf_counter() - started) * 1000, 1),
        days=plan["days"],
    )  # fmt: skip
    tx.execute(DELETE_PLAN_SQL, tenant_id=tenant_id)
    return True
