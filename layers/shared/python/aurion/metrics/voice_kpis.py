"""Call KPIs: the voice block of the unified overview and the kpis of call-metrics.

Calls fall in the range by started_at. A call is resolved when its outcome is `resolved` or it was
resolved on first contact; avg_duration_seconds is over completed calls only (a failed call's 0 s is
not a conversation length).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aurion.db import Transaction
from aurion.metrics.common import num
from aurion.models.voice import VoiceKpis

# The KPI aggregates over any set of calls: the whole range here, one local day in the exports.
KPI_AGGREGATES = """
       count(*) AS total_calls,
       count(*) FILTER (WHERE status = 'completed') AS completed_calls,
       count(*) FILTER (WHERE status = 'failed') AS failed_calls,
       aurion_round1(avg(duration_seconds) FILTER (WHERE status = 'completed')) AS avg_duration_seconds,
       aurion_pct(count(*) FILTER (WHERE first_call_resolution), count(*)) AS first_call_resolution_rate,
       count(*) FILTER (WHERE outcome = 'resolved' OR first_call_resolution) AS resolved_calls,
       count(*) FILTER (WHERE outcome = 'ticket_created') AS tickets_created,
       count(*) FILTER (WHERE outcome = 'escalated') AS escalation_count"""

KPI_SQL = f"""
SELECT {KPI_AGGREGATES}
FROM calls
WHERE tenant_id = CAST(:tenant_id AS uuid) AND started_at BETWEEN :start AND :end {{filters}}
"""


def voice_kpis_model(row: dict[str, Any]) -> VoiceKpis:
    return VoiceKpis(
        total_calls=row["total_calls"],
        completed_calls=row["completed_calls"],
        failed_calls=row["failed_calls"],
        avg_duration_seconds=num(row["avg_duration_seconds"]),
        first_call_resolution_rate=float(row["first_call_resolution_rate"]),
        tickets_created=row["tickets_created"],
        escalation_count=row["escalation_count"],
    )


def call_kpis(
    tx: Transaction, tenant_id: str, start: datetime, end: datetime, filters: str = "", **params: Any
) -> dict:
    row = tx.one(KPI_SQL.format(filters=filters), tenant_id=tenant_id, start=start, end=end, **params)
    assert row is not None
    return row
