"""The export scheduler (EventBridge, every minute): turn due schedules into queued exports.

One transaction per due schedule:
1. claim it: aurion_claim_due_export_schedule (migration 0005) locks one due schedule of any tenant,
   FOR UPDATE SKIP LOCKED, so concurrent runs share the work instead of doubling it;
2. as that tenant (RLS), insert the export of the period that just ended in the schedule's time zone, with
   ON CONFLICT DO NOTHING on (schedule_id, schedule_period_start): a retried or concurrent run that gets this
   far again creates nothing;
3. queue it, audit it, and move next_run_at to the following run; commit.

A run that is late (the scheduler was down) still exports its own period, and the next run, already due, is
claimed right after: missed periods are caught up in order. A schedule that fails is left due and skipped for
the rest of this invocation, so it never blocks the others; the next invocation retries it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aurion.auth.roles import ANALYTICS_PLANS
from aurion.db import Database, get_database
from aurion.exports import clock
from aurion.exports.audit import audit
from aurion.exports.queue import enqueue_export
from aurion.exports.requests import NewExport, insert_export
from aurion.exports.schedules import cadence_of
from aurion.logs import logger

MAX_CLAIMS_PER_RUN = 500

CLAIM_SQL = """
SELECT schedule_id::text AS schedule_id, tenant_id::text AS tenant_id
FROM aurion_claim_due_export_schedule(:due_at, CAST(:skip AS uuid[]))
"""

SCHEDULE_SQL = """
SELECT s.id::text AS schedule_id, s.tenant_id::text AS tenant_id, s.cadence, s.weekday, s.day_of_month,
       s.time_of_day, s.tz, s.format, s.scope, s.include_call_details, s.include_transcripts,
       s.include_conversations, s.next_run_at, s.created_by::text AS created_by, t.plan,
       ARRAY(SELECT l.destination_id::text FROM export_schedule_destinations l WHERE l.schedule_id = s.id
             ORDER BY l.destination_id) AS destination_ids
FROM export_schedules s
JOIN tenants t ON t.id = s.tenant_id
WHERE s.id = CAST(:schedule_id AS uuid)
"""

ADVANCE_SQL = """
UPDATE export_schedules SET next_run_at = :next_run_at, last_run_at = :now
WHERE id = CAST(:schedule_id AS uuid)
"""


def _run_one(tx: Any, claim: dict[str, Any], now: datetime) -> bool:
    """Export the claimed schedule's period and advance it; True when a new export was queued."""
    tx.execute("SELECT set_config('app.tenant_id', :tenant_id, true)", tenant_id=claim["tenant_id"])
    schedule = tx.one(SCHEDULE_SQL, schedule_id=claim["schedule_id"])
    if schedule is None:  # deleted between the claim and now: nothing to do
        return False
    cadence = cadence_of(schedule)
    run_at = schedule["next_run_at"]
    first, last = cadence.period_for(run_at)
    export_id = None
    if schedule["plan"] in ANALYTICS_PLANS:
        created_at = now.replace(microsecond=0)
        export_id = insert_export(
            tx,
            NewExport(
                tenant_id=schedule["tenant_id"],
                created_by=schedule["created_by"],
                format=schedule["format"],
                scope=schedule["scope"],
                start_date=first,
                end_date=last,
                tz=schedule["tz"],
                include_call_details=schedule["include_call_details"],
                include_transcripts=schedule["include_transcripts"],
                include_conversations=schedule["include_conversations"],
                created_at=created_at,
                schedule_id=schedule["schedule_id"],
                schedule_period_start=first,
                notify_destination_ids=tuple(schedule["destination_ids"] or ()),
            ),
        )
        if export_id is not None:
            audit(tx, tenant_id=schedule["tenant_id"], actor=schedule["created_by"], action="export.create",
                  target=f"export:{export_id}", outcome="queued_by_schedule", created_at=created_at)  # fmt: skip
            enqueue_export(export_id, schedule["tenant_id"])
    else:
        logger.info("schedule skipped: plan without analytics", extra={"schedule_id": schedule["schedule_id"]})
    tx.execute(ADVANCE_SQL, next_run_at=cadence.next_run_after(run_at), now=now, schedule_id=schedule["schedule_id"])
    return export_id is not None


def run_scheduler(
    *,
    now: datetime | None = None,
    database: Database | None = None,
    time_left: Callable[[], bool] | None = None,
) -> dict[str, int]:
    """Claim and run every due schedule; returns counts (claimed, created, failed)."""
    db = database or get_database()
    now = now or clock.utcnow()
    claimed = created = 0
    failed: list[str] = []
    for _ in range(MAX_CLAIMS_PER_RUN):
        if time_left is not None and not time_left():
            break
        claim = None
        try:
            with db.transaction(None) as tx:
                claim = tx.one(CLAIM_SQL, due_at=now, skip=failed)
                if claim is None:
                    break
                claimed += 1
                created += _run_one(tx, claim, now)
        except Exception as exc:
            if claim is None:
                raise  # the claim itself failed: the database is not usable, let the invocation fail
            failed.append(claim["schedule_id"])
            logger.error(
                "scheduled export failed; retried next run",
                extra={"schedule_id": claim["schedule_id"], "error_type": type(exc).__name__},
            )
    result = {"claimed": claimed, "created": created, "failed": len(failed)}
    logger.info("scheduler run", extra={f"schedules_{name}": count for name, count in result.items()})
    return result


def handle_schedule_event(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The export_scheduler function (EventBridge scheduled event; its payload is not needed)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    time_left = (lambda: remaining() > 10_000) if callable(remaining) else None
    return run_scheduler(time_left=time_left)
