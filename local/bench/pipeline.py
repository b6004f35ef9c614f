"""The aggregator on the benchmark tenant: a full rebuild of its year, and one run after an hour of traffic.

An hour of traffic at this tenant's rate (1,000,000 conversations a year ≈ 114 an hour): new conversations
created in the last hour, and writes to conversations and CSAT surveys of the last days (late resolutions,
answers arriving). The writes only touch `updated_at` (the aggregator cannot tell them from real changes and
must rebuild the same days), and the new conversations are deleted afterwards, so the tenant's data, and
with it every other number in the benchmark, stays the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pg8000.native

from aurion.db import connect_params
from aurion.rollups.aggregator import aggregator_database, run_tenant

HOURLY_CONVERSATIONS = 114
HOURLY_LATE_UPDATES = 114
HOURLY_CSAT_ANSWERS = 30

_COLUMNS = (
    "tenant_id, channel, priority, status, subject, topic, contact_id, assignee_user_id, team_id, "
    "email_channel_id, kb_article_id, first_response_at, resolved_at, resolved_by, escalated, "
    "first_response_due_at, resolution_due_at"
)
NEW_CONVERSATIONS_SQL = f"""
INSERT INTO conversations (id, created_at, {_COLUMNS})
SELECT gen_random_uuid(), now() - random() * interval '1 hour', {_COLUMNS}
FROM conversations WHERE tenant_id = CAST(:tenant_id AS uuid)
ORDER BY created_at DESC LIMIT :n
RETURNING id
"""
TOUCH_CONVERSATIONS_SQL = """
UPDATE conversations SET status = status
WHERE id IN (SELECT id FROM conversations WHERE tenant_id = CAST(:tenant_id AS uuid)
               AND created_at > (SELECT max(created_at) FROM conversations WHERE tenant_id = CAST(:tenant_id AS uuid)
                                  AND created_at < now() - interval '1 day') - interval '3 days'
             ORDER BY id LIMIT :n)
"""
TOUCH_CSAT_SQL = """
UPDATE csat_surveys SET rating = rating
WHERE id IN (SELECT id FROM csat_surveys WHERE tenant_id = CAST(:tenant_id AS uuid) AND responded_at IS NOT NULL
             ORDER BY responded_at DESC LIMIT :n)
"""


@dataclass(frozen=True)
class PipelineResult:
    full_rebuild_s: float
    full_rebuild_days: int
    hour_run_s: float
    hour_run_days: int


def measure_pipeline(admin_url: str, app_url: str, tenant_id: str) -> PipelineResult:
    owner = pg8000.native.Connection(**connect_params(admin_url))
    database = aggregator_database(app_url)
    try:
        owner.run("DELETE FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant_id)
        started = time.perf_counter()
        full = run_tenant(database, tenant_id)
        full_s = time.perf_counter() - started

        new_ids = [row[0] for row in owner.run(NEW_CONVERSATIONS_SQL, tenant_id=tenant_id, n=HOURLY_CONVERSATIONS)]
        owner.run(TOUCH_CONVERSATIONS_SQL, tenant_id=tenant_id, n=HOURLY_LATE_UPDATES)
        owner.run(TOUCH_CSAT_SQL, tenant_id=tenant_id, n=HOURLY_CSAT_ANSWERS)
        started = time.perf_counter()
        hour = run_tenant(database, tenant_id)
        hour_s = time.perf_counter() - started

        owner.run("DELETE FROM conversations WHERE id = ANY(CAST(:ids AS uuid[]))", ids=[str(i) for i in new_ids])
        run_tenant(database, tenant_id)
        # What autovacuum does within minutes of a rebuild in production (it is off on dev and CI servers): the
        # rebuilt rollups' dead rows gone and their statistics known before the endpoints are timed.
        owner.run("VACUUM (ANALYZE)")
    finally:
        database.close()
        owner.close()
    return PipelineResult(round(full_s, 1), full.days_rebuilt, round(hour_s, 2), hour.days_rebuilt)
