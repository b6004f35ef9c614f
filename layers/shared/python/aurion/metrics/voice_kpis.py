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
from aurion.params import DateRange
from aurion.rollups.voice import call_cells_sql, split_params
from aurion.rollups.window import hour_split

# The KPI aggregates over any set of calls: one local day in the exports.
KPI_AGGREGATES = """
       count(*) AS total_calls,
       count(*) FILTER (WHERE status = 'completed') AS completed_calls,
       count(*) FILTER (WHERE status = 'failed') AS failed_calls,
       aurion_round1(avg(duration_seconds) FILTER (WHERE status = 'completed')) AS avg_duration_seconds,
       aurion_pct(count(*) FILTER (WHERE first_call_resolution), count(*)) AS first_call_resolution_rate,
       count(*) FILTER (WHERE outcome = 'resolved' OR first_call_resolution) AS resolved_calls,
       count(*) FILTER (WHERE outcome = 'ticket_created') AS tickets_created,
       count(*) FILTER (WHERE outcome = 'escalated') AS escalation_count"""

# The same KPIs over summed call facts (aurion.rollups.voice). The average divides the exact sums as numeric,
# which is what avg() of integers does, so both round alike; sums of nothing are null, hence the COALESCEs.
KPI_SUMS = """
       COALESCE(sum(calls), 0)::bigint AS total_calls,
       COALESCE(sum(completed), 0)::bigint AS completed_calls,
       COALESCE(sum(failed), 0)::bigint AS failed_calls,
       aurion_round1(sum(completed_seconds)::numeric / NULLIF(sum(completed_timed), 0)) AS avg_duration_seconds,
       aurion_pct(sum(fcr), sum(calls)) AS first_call_resolution_rate,
       COALESCE(sum(resolved), 0)::bigint AS resolved_calls,
       COALESCE(sum(tickets), 0)::bigint AS tickets_created,
       COALESCE(sum(escalated), 0)::bigint AS escalation_count"""

KPI_SQL = f"SELECT {KPI_SUMS} FROM ({call_cells_sql('outcome')}) AS cells"


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


def call_kpis(tx: Transaction, tenant_id: str, start: datetime, end: datetime) -> dict:
    """The KPIs of the calls started in [start, end]: rollup hours plus raw edges (no local buckets, so any
    time zone's range reads the rollups)."""
    split = hour_split(tx, tenant_id, DateRange(start=start, end=end))
    row = tx.one(KPI_SQL, **split_params(tenant_id, split))
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row
