"""Call and LLM-request facts per UTC hour: how the voice rollups are built and how a range is read.

The facts are defined once, in aurion.facts.calls: here they are written for UTC hours (bucket = the UTC hour)
and read for a range, the raw edges bucketed by the local hour in the caller's zone; rollup hours are moved to
the local hour with AT TIME ZONE, which is exact when the zone's offset is a whole number of hours (window.hour_split
reads the whole range raw otherwise).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aurion.db import Transaction
from aurion.facts.calls import (
    LLM_MEASURES,
    LOCAL_HOUR,
    MEASURES,
    UTC_HOUR,
    call_facts_sql,
    llm_facts_sql,
)
from aurion.facts.calls import (
    TENANT as _TENANT,
)
from aurion.rollups.days import moved_days
from aurion.rollups.window import HourSplit, midnight, raw_edges

_MEASURE_LIST = ", ".join(MEASURES)
_LLM_MEASURE_LIST = ", ".join(LLM_MEASURES)

# ---- the rollup side (aggregator) --------------------------------------------------------------------------

_HOURS = "{column} >= :first_at AND {column} < :after_last"

# Inserted in the order a range is read (dim, then hour): a year of one dim is ~9,000 adjacent rows of the
# table, not as many scattered pages.
REBUILD_CALLS_SQL = f"""
INSERT INTO call_hourly (tenant_id, hour, dim, key, {_MEASURE_LIST})
SELECT {_TENANT}, bucket, dim, key, {_MEASURE_LIST}
FROM ({call_facts_sql(_HOURS.format(column="c.started_at"), UTC_HOUR)}) AS facts
ORDER BY dim, bucket
"""

REBUILD_LLM_SQL = f"""
INSERT INTO llm_hourly (tenant_id, hour, provider, {_LLM_MEASURE_LIST})
SELECT {_TENANT}, bucket, provider, {_LLM_MEASURE_LIST}
FROM ({llm_facts_sql(_HOURS.format(column="requested_at"))}) AS facts
ORDER BY bucket
"""

DELETE_SQL = f"DELETE FROM {{table}} WHERE tenant_id = {_TENANT} AND {_HOURS.format(column='hour')}"

# Days whose facts changed since the last run: calls written (inserted late, outcome or resolution set …), and
# LLM requests written, which change the facts of their own hour and the tokens of their call's hour; and the old
# days of calls and requests deleted or moved to another day (or a request moved to another call). Nothing here
# changes with the clock alone.
DIRTY_DAYS_SQL = f"""
SELECT (started_at AT TIME ZONE 'UTC')::date AS day FROM calls
WHERE tenant_id = {_TENANT} AND updated_at > :changed_since
UNION
SELECT (requested_at AT TIME ZONE 'UTC')::date FROM llm_usage
WHERE tenant_id = {_TENANT} AND updated_at > :changed_since
UNION
SELECT (c.started_at AT TIME ZONE 'UTC')::date FROM llm_usage AS u JOIN calls AS c ON c.id = u.call_id
WHERE u.tenant_id = {_TENANT} AND u.updated_at > :changed_since AND c.tenant_id = {_TENANT}
UNION{moved_days("calls", "llm_usage")}
"""

FIRST_DAY_SQL = f"""
SELECT (least((SELECT min(started_at) FROM calls WHERE tenant_id = {_TENANT}),
              (SELECT min(requested_at) FROM llm_usage WHERE tenant_id = {_TENANT})) AT TIME ZONE 'UTC')::date
"""


def rebuild(tx: Transaction, tenant_id: str, first: date, last: date, as_of: datetime) -> None:
    """Replace the facts of every hour of days first..last (idempotent: delete, then insert from raw rows)."""
    params = {"tenant_id": tenant_id, "first_at": midnight(first), "after_last": midnight(last + timedelta(days=1))}
    for table in ("call_hourly", "llm_hourly"):
        tx.execute(DELETE_SQL.format(table=table), **params)
    tx.execute(REBUILD_CALLS_SQL, **params)
    tx.execute(REBUILD_LLM_SQL, **params)


# ---- the query side (endpoints) ----------------------------------------------------------------------------

_CLOSED_HOURS = "hour >= :closed_from AND hour < :closed_to"


def call_cells_sql(dim: str, *, outcome_filter: bool = False, tokens: bool = False) -> str:
    """Rows (local_hour, key, measures) whose sums over any grouping are the range's: rollup hours moved to the
    local hour in :tz, then the raw edges bucketed there directly. Parameters: HourSplit.params(), tenant_id,
    tz, and outcome when outcome_filter. Tokens are 0 unless asked for (the edges then read the requests)."""
    rollup_filter, raw_filter = ("AND key = :outcome", "AND c.outcome = :outcome") if outcome_filter else ("", "")
    edges = call_facts_sql(f"{raw_edges('c.started_at')} {raw_filter}", LOCAL_HOUR, (dim,), tokens=tokens)
    measures = _MEASURE_LIST if tokens else _MEASURE_LIST.replace("tokens", "0 AS tokens")
    return f"""
SELECT hour AT TIME ZONE CAST(:tz AS text) AS local_hour, key, {measures}
FROM call_hourly
WHERE tenant_id = {_TENANT} AND dim = '{dim}' AND {_CLOSED_HOURS} {rollup_filter}
UNION ALL
SELECT bucket, key, {_MEASURE_LIST}
FROM ({edges}) AS edge
"""


def llm_cells_sql() -> str:
    """Rows (provider, measures) whose sums per provider are the range's requests (HourSplit.params())."""
    return f"""
SELECT provider, {_LLM_MEASURE_LIST}
FROM llm_hourly
WHERE tenant_id = {_TENANT} AND {_CLOSED_HOURS}
UNION ALL
SELECT provider, {_LLM_MEASURE_LIST}
FROM ({llm_facts_sql(raw_edges("requested_at"))}) AS edge
"""


def split_params(tenant_id: str, split: HourSplit, tz: str = "UTC") -> dict[str, Any]:
    return {"tenant_id": tenant_id, "tz": tz, **split.params()}
