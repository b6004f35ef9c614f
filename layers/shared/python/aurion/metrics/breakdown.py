"""One pass over a range's conversations for every per-dimension block of the insights view.

Busiest hours, top topics, agent and team performance and the SLA-breach trend all group the same rows
(conversations created in the range) by a different column; GROUPING SETS computes them in a single scan
instead of five. Definitions: docs/metrics.md (Insights).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aurion.db import Transaction
from aurion.metrics.common import num, pct, range_params
from aurion.metrics.sla import RESOLUTION_MET, sla_bucket
from aurion.models.conversations import AgentPerformance, HourCount, SlaDay, TeamPerformance, TopicShare
from aurion.params import DateRange

TOP_TOPICS = 10

BREAKDOWN_SQL = f"""
WITH c AS (
    SELECT date_part('hour', created_at AT TIME ZONE 'UTC')::int AS hour_utc,
           (created_at AT TIME ZONE 'UTC')::date AS day,
           topic, assignee_user_id, team_id,
           aurion_minutes(created_at, first_response_at) AS first_response_minutes,
           aurion_minutes(created_at, resolved_at) AS resolution_minutes,
           {RESOLUTION_MET} AS resolution_met
    FROM conversations
    WHERE tenant_id = CAST(:tenant_id AS uuid) AND created_at BETWEEN :start AND :end
), g AS (
    SELECT GROUPING(hour_utc, topic, assignee_user_id, team_id, day) AS grouping_id,
           hour_utc, topic, assignee_user_id, team_id, day,
           count(*) AS conversations,
           count(resolution_minutes) AS resolved,
           aurion_round1(avg(first_response_minutes)) AS avg_first_response_minutes,
           aurion_round1(avg(resolution_minutes)) AS avg_resolution_minutes,
           count(*) FILTER (WHERE resolution_met) AS met,
           count(*) FILTER (WHERE NOT resolution_met) AS breached
    FROM c
    GROUP BY GROUPING SETS ((), (hour_utc), (topic), (assignee_user_id), (team_id), (day))
)
SELECT g.*, u.name AS assignee_name, t.name AS team_name
FROM g
LEFT JOIN users u ON u.id = g.assignee_user_id
LEFT JOIN teams t ON t.id = g.team_id
"""

# GROUPING(hour_utc, topic, assignee_user_id, team_id, day): one bit per column, set when it is not grouped.
_ALL, _BY_HOUR, _BY_TOPIC, _BY_AGENT, _BY_TEAM, _BY_DAY = 0b11111, 0b01111, 0b10111, 0b11011, 0b11101, 0b11110


@dataclass(frozen=True)
class Breakdown:
    busiest_hours: list[HourCount]
    top_topics: list[TopicShare]
    agents: list[AgentPerformance]
    teams: list[TeamPerformance]
    sla_days: list[SlaDay]


def _rows(rows: list[dict[str, Any]], grouping: int) -> list[dict[str, Any]]:
    return [row for row in rows if row["grouping_id"] == grouping]


def conversation_breakdown(tx: Transaction, tenant_id: str, window: DateRange) -> Breakdown:
    rows = tx.all(BREAKDOWN_SQL, **range_params(tenant_id, window))
    total = _rows(rows, _ALL)[0]["conversations"]
    hours = sorted(_rows(rows, _BY_HOUR), key=lambda r: (-r["conversations"], r["hour_utc"]))
    topics = sorted(
        (r for r in _rows(rows, _BY_TOPIC) if r["topic"] is not None), key=lambda r: (-r["conversations"], r["topic"])
    )[:TOP_TOPICS]
    agents = sorted(
        (r for r in _rows(rows, _BY_AGENT) if r["assignee_name"] is not None),
        key=lambda r: (-r["conversations"], r["assignee_name"], str(r["assignee_user_id"])),
    )
    teams = sorted(
        (r for r in _rows(rows, _BY_TEAM) if r["team_name"] is not None),
        key=lambda r: (-r["conversations"], r["team_name"], str(r["team_id"])),
    )
    days = sorted((r for r in _rows(rows, _BY_DAY) if r["met"] + r["breached"] > 0), key=lambda r: r["day"])
    return Breakdown(
        busiest_hours=[HourCount(hour_utc=r["hour_utc"], conversation_count=r["conversations"]) for r in hours],
        top_topics=[
            TopicShare(topic=r["topic"], conversation_count=r["conversations"], share=pct(r["conversations"], total))
            for r in topics
        ],
        agents=[
            AgentPerformance(
                assignee_user_id=str(r["assignee_user_id"]),
                assignee_name=r["assignee_name"],
                assigned_count=r["conversations"],
                resolved_count=r["resolved"],
                resolution_rate=pct(r["resolved"], r["conversations"]),
                avg_first_response_minutes=num(r["avg_first_response_minutes"]),
                avg_resolution_minutes=num(r["avg_resolution_minutes"]),
            )
            for r in agents
        ],
        teams=[
            TeamPerformance(
                team_id=str(r["team_id"]),
                team_name=r["team_name"],
                assigned_count=r["conversations"],
                resolved_count=r["resolved"],
                resolution_rate=pct(r["resolved"], r["conversations"]),
                avg_resolution_minutes=num(r["avg_resolution_minutes"]),
            )
            for r in teams
        ],
        sla_days=[SlaDay(day=r["day"].isoformat(), **sla_bucket(r["met"], r["breached"])) for r in days],
    )
