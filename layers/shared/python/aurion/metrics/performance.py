"""Agent and team performance blocks of the insights view.

Conversations fall in the range by created_at and count for their assignee (or team) at query time.
"""

from __future__ import annotations

from aurion.db import Transaction
from aurion.metrics.common import num, range_params
from aurion.models.conversations import AgentPerformance, TeamPerformance
from aurion.params import DateRange

AGENT_SQL = """
SELECT c.assignee_user_id::text AS assignee_user_id, u.name AS assignee_name,
       count(*) AS assigned_count,
       count(c.resolved_at) AS resolved_count,
       aurion_pct(count(c.resolved_at), count(*)) AS resolution_rate,
       aurion_round1(avg(aurion_minutes(c.created_at, c.first_response_at))) AS avg_first_response_minutes,
       aurion_round1(avg(aurion_minutes(c.created_at, c.resolved_at))) AS avg_resolution_minutes
FROM conversations c
JOIN users u ON u.id = c.assignee_user_id
WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.created_at BETWEEN :start AND :end
GROUP BY c.assignee_user_id, u.name
ORDER BY assigned_count DESC, assignee_name, assignee_user_id
"""

TEAM_SQL = """
SELECT c.team_id::text AS team_id, t.name AS team_name,
       count(*) AS assigned_count,
       count(c.resolved_at) AS resolved_count,
       aurion_pct(count(c.resolved_at), count(*)) AS resolution_rate,
       aurion_round1(avg(aurion_minutes(c.created_at, c.resolved_at))) AS avg_resolution_minutes
FROM conversations c
JOIN teams t ON t.id = c.team_id
WHERE c.tenant_id = CAST(:tenant_id AS uuid) AND c.created_at BETWEEN :start AND :end
GROUP BY c.team_id, t.name
ORDER BY assigned_count DESC, team_name, team_id
"""


def agent_performance(tx: Transaction, tenant_id: str, window: DateRange) -> list[AgentPerformance]:
    rows = tx.all(AGENT_SQL, **range_params(tenant_id, window))
    return [
        AgentPerformance(
            assignee_user_id=row["assignee_user_id"],
            assignee_name=row["assignee_name"],
            assigned_count=row["assigned_count"],
            resolved_count=row["resolved_count"],
            resolution_rate=float(row["resolution_rate"]),
            avg_first_response_minutes=num(row["avg_first_response_minutes"]),
            avg_resolution_minutes=num(row["avg_resolution_minutes"]),
        )
        for row in rows
    ]


def team_performance(tx: Transaction, tenant_id: str, window: DateRange) -> list[TeamPerformance]:
    rows = tx.all(TEAM_SQL, **range_params(tenant_id, window))
    return [
        TeamPerformance(
            team_id=row["team_id"],
            team_name=row["team_name"],
            assigned_count=row["assigned_count"],
            resolved_count=row["resolved_count"],
            resolution_rate=float(row["resolution_rate"]),
            avg_resolution_minutes=num(row["avg_resolution_minutes"]),
        )
        for row in rows
    ]
