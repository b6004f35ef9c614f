"""GET /api/v2/analytics/conversations/csat, its drilldown, and the insights csat block.

A response is a survey with responded_at set; it falls in the range by responded_at. Rated responses
have a rating (1-5); positive means 4 or 5 and positive_rate is over rated responses.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import assignee_filters, iso_z, num, range_params
from aurion.models.conversations import (
    CsatAgent,
    CsatDay,
    CsatResponse,
    CsatResponseItem,
    CsatResponsesPage,
    RatingCount,
)
from aurion.params import DateRange

TREND_DAYS = 30

_RESPONSES = """
FROM csat_surveys s
JOIN conversations c ON c.id = s.conversation_id
{joins}
WHERE s.tenant_id = CAST(:tenant_id AS uuid) AND s.responded_at BETWEEN :start AND :end {filters}
"""
_AGENT_AND_TEAM = """
LEFT JOIN users u ON u.id = c.assignee_user_id
LEFT JOIN teams t ON t.id = c.team_id
"""

# One pass: totals, per rating, per day of the trend window, per agent.
CSAT_SQL = """
WITH r AS (
    SELECT s.rating, c.assignee_user_id,
           CASE WHEN s.responded_at >= :trend_start THEN (s.responded_at AT TIME ZONE 'UTC')::date END AS day
    {responses}
)
SELECT GROUPING(rating) AS all_ratings, GROUPING(day) AS all_days, GROUPING(assignee_user_id) AS all_agents,
       rating, day, assignee_user_id,
       (SELECT name FROM users WHERE users.id = assignee_user_id) AS assignee_name,
       count(*) AS responses,
       count(rating) AS rated,
       count(*) FILTER (WHERE rating >= 4) AS positive,
       aurion_round1(avg(rating)) AS avg_rating,
       aurion_pct(count(*) FILTER (WHERE rating >= 4), count(rating)) AS positive_rate
FROM r
GROUP BY GROUPING SETS ((), (rating), (day), (assignee_user_id))
"""

RESPONSES_PAGE_SQL = """
SELECT s.id::text AS id, s.conversation_id::text AS conversation_id, s.contact_id::text AS contact_id,
       s.rating, s.comment, s.followup_answer, s.channel, s.sent_at, s.responded_at,
       c.subject AS conversation_subject,
       c.assignee_user_id::text AS assignee_user_id, u.name AS assignee_name,
       c.team_id::text AS assignee_team_id, t.name AS assignee_team_name
{responses}
ORDER BY s.responded_at DESC, s.id DESC
LIMIT :limit OFFSET :offset
"""

RESPONSES_COUNT_SQL = "SELECT count(*) {responses}"


def _responses(team_id: str | None, agent_id: str | None, joins: str = "") -> tuple[str, dict[str, Any]]:
    filters, params = assignee_filters("c", team_id=team_id, agent_id=agent_id)
    return _RESPONSES.format(filters=filters, joins=joins), params


def trend_start(window: DateRange) -> datetime:
    """Start of the trend: the last 30 UTC days of the range (the end's day included), or the range start."""
    first_day = window.end.astimezone(UTC).date() - timedelta(days=TREND_DAYS - 1)
    return max(window.start, datetime.combine(first_day, time.min, tzinfo=UTC))


def csat_in(
    scope: Scope, window: DateRange, *, team_id: str | None = None, agent_id: str | None = None
) -> CsatResponse:
    responses, params = _responses(team_id, agent_id)
    rows = scope.tx.all(
        CSAT_SQL.format(responses=responses),
        trend_start=trend_start(window),
        **range_params(scope.tenant.id, window),
        **params,
    )
    overall = next(row for row in rows if row["all_ratings"] and row["all_days"] and row["all_agents"])
    ratings = sorted((r for r in rows if not r["all_ratings"] and r["rating"] is not None), key=lambda r: -r["rating"])
    days = sorted((r for r in rows if not r["all_days"] and r["day"] is not None), key=lambda r: r["day"])
    agents = sorted(
        (r for r in rows if not r["all_agents"] and r["assignee_user_id"] is not None),
        key=lambda r: (-r["responses"], r["assignee_name"], str(r["assignee_user_id"])),
    )
    return CsatResponse(
        total_responses=overall["responses"],
        rated_responses=overall["rated"],
        avg_rating=num(overall["avg_rating"]),
        positive_responses=overall["positive"],
        positive_rate=float(overall["positive_rate"]),
        distribution=[RatingCount(rating=r["rating"], response_count=r["responses"]) for r in ratings],
        trend=[CsatDay(day=r["day"].isoformat(), count=r["responses"], avg_rating=num(r["avg_rating"])) for r in days],
        per_agent=[
            CsatAgent(
                assignee_user_id=str(r["assignee_user_id"]),
                assignee_name=r["assignee_name"],
                response_count=r["responses"],
                avg_rating=num(r["avg_rating"]),
                positive_rate=float(r["positive_rate"]),
            )
            for r in agents
        ],
    )


def csat_summary(
    caller: Caller, window: DateRange, *, team_id: str | None = None, agent_id: str | None = None
) -> CsatResponse:
    with tenant_scope(caller) as scope:
        return csat_in(scope, window, team_id=team_id, agent_id=agent_id)


def csat_responses(
    caller: Caller,
    window: DateRange,
    *,
    limit: int,
    offset: int,
    team_id: str | None = None,
    agent_id: str | None = None,
) -> CsatResponsesPage:
    responses, params = _responses(team_id, agent_id)
    with_names, _ = _responses(team_id, agent_id, joins=_AGENT_AND_TEAM)
    query = {**range_params(caller.tenant_id, window), **params}
    with tenant_scope(caller) as scope:
        total = scope.tx.value(RESPONSES_COUNT_SQL.format(responses=responses), **query)
        rows = scope.tx.all(RESPONSES_PAGE_SQL.format(responses=with_names), limit=limit, offset=offset, **query)
    items = [
        CsatResponseItem(**{**row, "sent_at": iso_z(row["sent_at"]), "responded_at": iso_z(row["responded_at"])})
        for row in rows
    ]
    return CsatResponsesPage(items=items, total=total, limit=limit, offset=offset)
