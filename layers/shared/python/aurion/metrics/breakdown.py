"""One pass over a range's conversations for every per-dimension block of the insights view.

Busiest hours, top topics, agent and team performance and the SLA-breach trend all group the same rows
(conversations created in the range) by a different column; GROUPING SETS computes them in a single scan
instead of five. Definitions: docs/metrics.md (Insights).
"""

from __future__ import annotations

from dataclasses import dataclass

from aurion.db import Transaction
from aurion.metrics.common import num, pct
from aurion.metrics.sla import resolution_bucket
from aurion.models.conversations import AgentPerformance, HourCount, SlaDay, TeamPerformance, TopicShare
from aurion.params import DateRange
from aurion.rollups.conversations import conversation_facts

TOP_TOPICS = 10


@dataclass(frozen=True)
class Breakdown:
    busiest_hours: list[HourCount]
    top_topics: list[TopicShare]
    agents: list[AgentPerformance]
    teams: list[TeamPerformance]
    sla_days: list[SlaDay]


def conversation_breakdown(tx: Transaction, tenant_id: str, window: DateRange) -> Breakdown:
    facts = conversation_facts(tx, tenant_id, window, ("all", "hour", "topic", "agent", "team"), daily_dims=("all",))
    days = facts.daily("all")
    total = sum(int(day["conversations"]) for day in days)
    hours = sorted(facts.of("hour"), key=lambda r: (-r["conversations"], int(r["key"])))
    topics = sorted((r for r in facts.of("topic") if r["key"]), key=lambda r: (-r["conversations"], r["key"]))[
        :TOP_TOPICS
    ]
    agents = sorted(
        (r for r in facts.of("agent") if r["agent_name"] is not None),
        key=lambda r: (-r["conversations"], r["agent_name"], r["key"]),
    )
    teams = sorted(
        (r for r in facts.of("team") if r["team_name"] is not None),
        key=lambda r: (-r["conversations"], r["team_name"], r["key"]),
    )
    return Breakdown(
        busiest_hours=[HourCount(hour_utc=int(r["key"]), conversation_count=int(r["conversations"])) for r in hours],
        top_topics=[
            TopicShare(topic=r["key"], conversation_count=int(r["conversations"]), share=pct(r["conversations"], total))
            for r in topics
        ],
        agents=[
            AgentPerformance(
                assignee_user_id=r["key"],
                assignee_name=r["agent_name"],
                assigned_count=int(r["conversations"]),
                resolved_count=int(r["resolved"]),
                resolution_rate=pct(r["resolved"], r["conversations"]),
                avg_first_response_minutes=num(r["avg_first_response_minutes"]),
                avg_resolution_minutes=num(r["avg_resolution_minutes"]),
            )
            for r in agents
        ],
        teams=[
            TeamPerformance(
                team_id=r["key"],
                team_name=r["team_name"],
                assigned_count=int(r["conversations"]),
                resolved_count=int(r["resolved"]),
                resolution_rate=pct(r["resolved"], r["conversations"]),
                avg_resolution_minutes=num(r["avg_resolution_minutes"]),
            )
            for r in teams
        ],
        sla_days=[SlaDay(day=r["day"].isoformat(), **resolution_bucket(r)) for r in days if r["res_tracked"] > 0],
    )
