"""Call KPIs: the voice block of the unified overview and the kpis of call-metrics.

Calls fall in the range by started_at. A call is resolved when its outcome is `resolved` or it was
resolved on first contact; avg_duration_seconds is over completed calls only (a failed call's 0 s is
not a conversation length).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aurion.db import Transaction
from aurion.facts.calls import KPI_SUMS
from aurion.metrics.common import num
from aurion.models.voice import VoiceKpis
from aurion.params import DateRange
from aurion.rollups.voice import call_cells_sql, split_params
from aurion.rollups.window import hour_split

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
