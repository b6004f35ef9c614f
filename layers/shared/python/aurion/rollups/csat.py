"""CSAT responses per UTC day of responded_at, assignee and team: how the rollup is built and a range is read.

The facts are defined once, in aurion.facts.csat. The agent and team of a response are its conversation's
current ones: a reassigned conversation (its updated_at moves) marks the days of its responses for rebuilding.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aurion.db import Transaction
from aurion.facts.csat import AVG_RATING, LOCAL_DAY, MEASURES, POSITIVE, RATED, facts_sql
from aurion.params import DateRange
from aurion.rollups.days import DAYS_BETWEEN, count_sums, moved_days, replace_days
from aurion.rollups.window import range_split, raw_edges

_MEASURE_LIST = ", ".join(MEASURES)

# ---- the rollup side (aggregator) --------------------------------------------------------------------------


_DAYS = DAYS_BETWEEN.format(column="s.responded_at")

REBUILD_SQL = f"""
INSERT INTO csat_daily (tenant_id, day, agent, team, {_MEASURE_LIST})
SELECT CAST(:tenant_id AS uuid), day, agent, team, {_MEASURE_LIST} FROM ({facts_sql(_DAYS)}) AS facts
"""

# Surveys written since the last run (answered late, re-rated), surveys of conversations written since
# (reassigned to another agent or team), and the old days of surveys deleted, whose responded_at moved or was
# cleared, or whose conversation was deleted (0014's triggers).
DIRTY_DAYS_SQL = f"""
SELECT (responded_at AT TIME ZONE 'UTC')::date AS day FROM csat_surveys
WHERE tenant_id = CAST(:tenant_id AS uuid) AND updated_at > :changed_since AND responded_at IS NOT NULL
UNION
SELECT (s.responded_at AT TIME ZONE 'UTC')::date FROM conversations c
JOIN csat_surveys s ON s.conversation_id = c.id
WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.updated_at > :changed_since AND s.responded_at IS NOT NULL
UNION{moved_days("csat_surveys")}
"""

FIRST_DAY_SQL = """
SELECT (min(responded_at) AT TIME ZONE 'UTC')::date FROM csat_surveys WHERE tenant_id = CAST(:tenant_id AS uuid)
"""


def rebuild(tx: Transaction, tenant_id: str, first: date, last: date, as_of: datetime) -> None:
    replace_days(tx, tenant_id, first, last, ["csat_daily"], [REBUILD_SQL])


# ---- the query side (endpoints) ----------------------------------------------------------------------------


def range_facts_cte(team_id: str | None, agent_id: str | None) -> tuple[str, dict[str, Any]]:
    """`facts`: the range's fact rows (rollup days + raw edges), optionally of one agent / team (with split params)."""
    filters, params = "", {}
    if team_id is not None:
        filters += " AND team = CAST(CAST(:team_id AS uuid) AS text)"
        params["team_id"] = team_id
    if agent_id is not None:
        filters += " AND agent = CAST(CAST(:agent_id AS uuid) AS text)"
        params["agent_id"] = agent_id
    cte = f"""
facts AS (
    SELECT * FROM (
        SELECT day, agent, team, {_MEASURE_LIST} FROM csat_daily
        WHERE tenant_id = CAST(:tenant_id AS uuid) AND day >= :day_from AND day < :day_to
        UNION ALL
        SELECT day, agent, team, {_MEASURE_LIST} FROM ({facts_sql(raw_edges("s.responded_at"))}) AS edge
    ) AS merged
    WHERE true {filters}
)"""
    return cte, params


_SUMS = count_sums(MEASURES)

CSAT_SQL = """
WITH {facts}, sums AS (
    SELECT GROUPING(day) AS all_days, GROUPING(agent) AS all_agents, day, agent, {sums}
    FROM (SELECT CASE WHEN day >= (CAST(:trend_start AS timestamptz) AT TIME ZONE 'UTC')::date THEN day END AS day,
                 agent, {measures}
          FROM facts) AS f
    GROUP BY GROUPING SETS ((), (day), (agent))
)
SELECT all_days, all_agents, day, agent, {measures},
       {rated} AS rated, {positive} AS positive, {avg} AS avg_rating, aurion_pct({positive}, {rated}) AS positive_rate,
       (SELECT name FROM users WHERE id = CAST(NULLIF(agent, '') AS uuid)) AS agent_name
FROM sums
"""

TOTALS_SQL = """
WITH {facts}, sums AS (SELECT {sums} FROM facts)
SELECT coalesce(responses, 0) AS responses, {avg} AS avg_rating FROM sums
"""


def csat_rows(
    tx: Transaction,
    tenant_id: str,
    window: DateRange,
    trend_start: datetime,
    *,
    team_id: str | None = None,
    agent_id: str | None = None,
) -> list[dict[str, Any]]:
    """Summed facts: one overall row (all_days and all_agents), one per trend day, one per agent key."""
    split = range_split(tx, tenant_id, window)
    facts, params = range_facts_cte(team_id, agent_id)
    sql = CSAT_SQL.format(
        facts=facts, sums=_SUMS, measures=_MEASURE_LIST, rated=RATED, positive=POSITIVE, avg=AVG_RATING
    )
    return tx.all(sql, tenant_id=tenant_id, trend_start=trend_start, **split.params(), **params)


def csat_totals(
    tx: Transaction, tenant_id: str, window: DateRange, *, team_id: str | None = None, agent_id: str | None = None
) -> dict[str, Any]:
    """responses and avg_rating over the range (the drilldown's total, the unified overview's average)."""
    facts, params = range_facts_cte(team_id, agent_id)
    split = range_split(tx, tenant_id, window)
    row = tx.one(
        TOTALS_SQL.format(facts=facts, sums=_SUMS, avg=AVG_RATING), tenant_id=tenant_id, **split.params(), **params
    )
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row


# An export's local days: [start, end) read raw, bucketed by local day in :tz (the rollup's days are UTC days).
LOCAL_DAY_SQL = f"""
WITH sums AS (
    SELECT day, {_SUMS}
    FROM ({facts_sql("s.responded_at >= :start AND s.responded_at < :end", LOCAL_DAY)}) AS facts
    GROUP BY day
)
SELECT day, responses, {RATED} AS rated, {AVG_RATING} AS avg_rating, aurion_pct({POSITIVE}, {RATED}) AS positive_rate
FROM sums
ORDER BY day
"""


def local_day_csat(tx: Transaction, tenant_id: str, start: datetime, end: datetime, tz: str) -> list[dict[str, Any]]:
    """Responses, rated responses, average and positive rate of each local day in tz in [start, end)."""
    return tx.all(LOCAL_DAY_SQL, tenant_id=tenant_id, start=start, end=end, tz=tz)
