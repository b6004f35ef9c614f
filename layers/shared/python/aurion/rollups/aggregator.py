"""A tenant's rollup run: bring its daily rollups up to date. The worker runs it per job of the rollup queue
(aurion/rollups/worker.py); the dispatcher decides which tenants have work (aurion/rollups/dispatch.py).

Per tenant, in one transaction under a per-tenant advisory lock (a second run at the same time skips the
tenant instead of racing it; a split rebuild under way, aurion/rollups/parts.py, leaves it alone):
0. the tenant's logged changes (rollup_changes, migration 0019) are taken, before anything is read;
1. the days to rebuild: the first run takes every day up to yesterday; later runs take the days that closed
   since (yesterday, after midnight), the days of rows written since the last run (late resolutions, CSAT
   answers, backfills; `updated_at` kept by a trigger), the old days of rows deleted or whose placing time moved
   (`rollup_moved_days`, written by statement triggers, migration 0014), and the days of unanswered
   conversations whose due time passed (they become "breached" with no write);
2. each family deletes and re-inserts the facts of those days from raw rows (idempotent);
3. the state row moves the watermark to today and records when and how long;
4. after the commit, when the run rebuilt days, the rollup tables whose rows changed by more than autovacuum's
   analyze threshold are analyzed (aurion_rollup_analyze, migration 0017): autovacuum may be off or late, and a
   first rebuild otherwise leaves the planner thinking the tables are empty. Outside the tenant's transaction, so
   its lock is not held during an ANALYZE, and one catalog query when nothing crossed the threshold.

Two clocks, on purpose:
- the run's `as_of` is aurion.clock's now (or the `now` a caller passes): it says what today is, which days are
  closed, and which conversations are past due. A test or a backfill fixes it, and the answers follow;
- change detection stays on the database's own clock: `updated_at` is stamped by triggers with the writing
  transaction's time, so the run records its own transaction time (`SELECT now()`) as `changes_seen_until` and
  the next run looks for writes after it. A clock fixed in 2024 or 2028 still sees every write.
A transaction that was already open when a run started may commit rows with an older `updated_at`: the next
run looks back CHANGE_MARGIN before the last run, so such writes are picked up as long as they commit within it.
The same margin applies to deadlines (`due_since`, on the run's clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any

from aurion import clock
from aurion.db import Database, Transaction
from aurion.logs import log_failure, logger
from aurion.rollups import conversations, csat, email, help_center, voice

CHANGE_MARGIN = timedelta(minutes=5)
# A full rebuild of a large tenant's year takes tens of seconds: more than an API query may, less than the
# function's 300 s timeout. The socket's read timeout follows it (aurion/db.py).
AGGREGATOR_STATEMENT_TIMEOUT_MS = 280_000

LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtextextended('aurion-rollup:' || :tenant_id, 0))"
# A split rebuild under way (aurion/rollups/parts.py): its parts own the tenant's rollups until the last one moves
# the watermark; a run in between would rebuild the whole history in one invocation.
PLANNED_SQL = "SELECT EXISTS (SELECT FROM rollup_parts WHERE tenant_id = CAST(:tenant_id AS uuid))"
# The tenant's logged changes (migration 0019), taken before the dirty days are read: a write committed before
# this statement is seen by the reads after it, one committed later keeps its row for the next cycle.
TAKE_CHANGES_SQL = """
WITH taken AS (DELETE FROM rollup_changes WHERE tenant_id = CAST(:tenant_id AS uuid) RETURNING changed_at)
SELECT min(changed_at) FROM taken
"""
STATE_SQL = """
SELECT rolled_until, as_of, changes_seen_until FROM rollup_state WHERE tenant_id = CAST(:tenant_id AS uuid)
"""
PRUNE_MOVED_SQL = """
DELETE FROM rollup_moved_days WHERE tenant_id = CAST(:tenant_id AS uuid) AND changed_at <= :seen
"""
SAVE_STATE_SQL = """
INSERT INTO rollup_state (tenant_id, rolled_until, as_of, changes_seen_until, last_run_ms, last_days_rebuilt)
VALUES (CAST(:tenant_id AS uuid), :rolled_until, :as_of, :changes_seen_until, :run_ms, :days)
ON CONFLICT (tenant_id) DO UPDATE SET rolled_until = EXCLUDED.rolled_until, as_of = EXCLUDED.as_of,
    changes_seen_until = EXCLUDED.changes_seen_until, last_run_ms = EXCLUDED.last_run_ms,
    last_days_rebuilt = EXCLUDED.last_days_rebuilt
"""


@dataclass(frozen=True)
class Family:
    """One set of rollup tables: where its data starts, what changed, and how to rebuild days.

    first_day_sql: the tenant's first day with data (:tenant_id). dirty_days_sql: a column `day` of the days
    whose facts changed (:tenant_id, :changed_since; the conversation family also :due_since, :as_of).
    """

    name: str
    first_day_sql: str
    dirty_days_sql: str
    rebuild: Callable[[Transaction, str, date, date, datetime], None]

    def first_day(self, tx: Transaction, tenant_id: str) -> date | None:
        value = tx.value(self.first_day_sql, tenant_id=tenant_id)
        return value if isinstance(value, date) else None

    def dirty_days(
        self, tx: Transaction, tenant_id: str, *, changed_since: datetime, due_since: datetime, as_of: datetime
    ) -> set[date]:
        rows = tx.all(
            self.dirty_days_sql, tenant_id=tenant_id, changed_since=changed_since, due_since=due_since, as_of=as_of
        )
        return {row["day"] for row in rows}


def _family(name: str, module: ModuleType) -> Family:
    return Family(name, module.FIRST_DAY_SQL, module.DIRTY_DAYS_SQL, module.rebuild)


FAMILIES: tuple[Family, ...] = (
    _family("conversations", conversations),
    _family("csat", csat),
    _family("help_center", help_center),
    _family("email", email),
    _family("voice", voice),
)


@dataclass(frozen=True)
class RunResult:
    tenant_id: str
    skipped: bool
    days_rebuilt: int = 0
    run_ms: float = 0.0
    # How long the oldest change this run applied had waited (the database's clock; None: no change logged).
    lag_seconds: float | None = None
    # A split rebuild owns the tenant: nothing was done, its last part moves the watermark.
    planned: bool = False


def _runs(days: set[date]) -> Iterator[tuple[date, date]]:
    """Contiguous runs of days, so each rebuild reads one index range."""
    ordered = sorted(days)
    start = previous = ordered[0] if ordered else None
    for day in ordered[1:]:
        if day != previous + timedelta(days=1):  # type: ignore[operator]
            yield start, previous  # type: ignore[misc]
            start = day
        previous = day
    if start is not None:
        yield start, previous  # type: ignore[misc]


def _days_to_rebuild(tx: Transaction, tenant_id: str, family: Family, state: dict[str, Any] | None,
                     as_of: datetime, today: date) -> set[date]:  # fmt: skip
    if state is None:
        first = family.first_day(tx, tenant_id)
        return {first + timedelta(days=i) for i in range((today - first).days)} if first and first < today else set()
    rolled_until: date = state["rolled_until"]
    closed = {rolled_until + timedelta(days=i) for i in range((today - rolled_until).days)}
    changed = family.dirty_days(
        tx,
        tenant_id,
        changed_since=state["changes_seen_until"] - CHANGE_MARGIN,
        due_since=state["as_of"] - CHANGE_MARGIN,
        as_of=as_of,
    )
    return closed | {day for day in changed if day < today}


def run_tenant(db: Database, tenant_id: str, *, now: datetime | None = None) -> RunResult:
    """Roll the tenant up as of `now` (default: aurion.clock's now, read when the run starts)."""
    started = time.perf_counter()
    with db.transaction(tenant_id) as tx:
        if not tx.value(LOCK_SQL, tenant_id=tenant_id):
            return RunResult(tenant_id, skipped=True)
        if tx.value(PLANNED_SQL, tenant_id=tenant_id):
            return RunResult(tenant_id, skipped=False, planned=True)
        as_of = (now or clock.now()).astimezone(UTC)
        # The database's clock, which stamps updated_at: what this run has seen written (see the docstring).
        changes_seen_until: datetime = tx.value("SELECT now()")
        oldest_change: datetime | None = tx.value(TAKE_CHANGES_SQL, tenant_id=tenant_id)
        today = as_of.date()
        state = tx.one(STATE_SQL, tenant_id=tenant_id)
        # A day that several families rebuild (a conversation write dirties the families that read
        # conversations) counts once.
        days_rebuilt: set[date] = set()
        for family in FAMILIES:
            days = _days_to_rebuild(tx, tenant_id, family, state, as_of, today)
            for first, last in _runs(days):
                family.rebuild(tx, tenant_id, first, last, as_of)
            days_rebuilt |= days
        # The moved days that no later run reads again (it looks back CHANGE_MARGIN from this run).
        tx.execute(PRUNE_MOVED_SQL, tenant_id=tenant_id, seen=changes_seen_until - CHANGE_MARGIN)
        rebuilt = len(days_rebuilt)
        run_ms = round((time.perf_counter() - started) * 1000, 1)
        tx.execute(SAVE_STATE_SQL, tenant_id=tenant_id, rolled_until=today, as_of=as_of,
                   changes_seen_until=changes_seen_until, run_ms=run_ms, days=rebuilt)  # fmt: skip
    lag = round((changes_seen_until - oldest_change).total_seconds(), 3) if oldest_change else None
    result = RunResult(tenant_id, skipped=False, days_rebuilt=rebuilt, run_ms=run_ms, lag_seconds=lag)
    logger.info(
        "rollups updated",
        extra={"tenant_id": tenant_id, "days_rebuilt": rebuilt, "run_ms": run_ms, "lag_seconds": lag},
    )
    return result


def aggregator_database(url: str) -> Database:
    """The aggregator's own connection: the API's statement timeout is too short for a full rebuild."""
    return Database(url, statement_timeout_ms=AGGREGATOR_STATEMENT_TIMEOUT_MS, connect_timeout_s=10)


def tenant_ids(db: Database) -> list[str]:
    with db.transaction(None) as tx:
        return [str(row["id"]) for row in tx.all("SELECT aurion_rollup_tenants()::text AS id")]


def analyze_rewritten(db: Database) -> list[str]:
    """ANALYZE the rollup tables that changed enough since their last analyze; the names of those analyzed."""
    # The counts of rows modified reach the statistics views only when a backend flushes them (at most once a
    # second, when idle): a run that just committed must flush its own first, or the check misses them.
    with db.transaction(None) as tx:
        tx.value("SELECT pg_stat_force_next_flush()")
    with db.transaction(None) as tx:
        return [str(row["name"]) for row in tx.all("SELECT aurion_rollup_analyze() AS name")]


def run_all(db: Database, *, now: datetime | None = None) -> list[RunResult]:
    """Every tenant; one failing tenant is logged and does not stop the others. Without `now`, each tenant's run
    reads the clock when it starts (a long run over many tenants does not judge the last ones in the past)."""
    results = []
    for tenant_id in tenant_ids(db):
        try:
            results.append(result := run_tenant(db, tenant_id, now=now))
            if result.days_rebuilt:
                analyze_rewritten(db)
        except Exception as exc:
            log_failure("rollup run failed", exc, tenant_id=tenant_id)
    return results
