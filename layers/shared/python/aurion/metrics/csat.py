"""GET /api/v2/analytics/conversations/csat, its drilldown, and the insights csat block.

A response is a survey with responded_at set; it falls in the range by responded_at. Rated responses
have a rating (1-5); positive means 4 or 5 and positive_rate is over rated responses. The aggregates and
the drilldown's total are summed facts (aurion/rollups/csat.py); the drilldown's page reads the responses.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import assignee_filters, num, range_params
from aurion.models.conversations import (
    CsatAgent,
    CsatDay,
    CsatResponse,
    CsatResponseItem,
    CsatResponsesPage,
    RatingCount,
)
from aurion.params import DateRange
from aurion.redaction import redacted_fields
from aurion.rollups.csat import csat_rows, csat_totals
from aurion.timefmt import iso_z

TREND_DAYS = 30
FREE_TEXT_FIELDS = ("comment", "followup_answer", "conversation_subject")

# Newest first in the order of csat_surveys_tenant_responded_desc_idx: a page reads offset + limit index
# entries instead of sorting the range.
RESPONSES_PAGE_SQL = """
SELECT s.id::text AS id, s.conversation_id::text AS conversation_id, s.contact_id::text AS contact_id,
       s.rating, s.comment, s.followup_answer, s.channel, s.sent_at, s.responded_at,
       c.subject AS conversation_subject,
       c.assignee_user_id::text AS assignee_user_id, u.name AS assignee_name,
       c.team_id::text AS assignee_team_id, t.name AS assignee_team_name
FROM csat_surveys s
JOIN conversations c ON c.id = s.conversation_id
LEFT JOIN users u ON u.id = c.assignee_user_id
LEFT JOIN teams t ON t.id = c.team_id
WHERE s.tenant_id = CAST(:tenant_id AS uuid) AND s.responded_at BETWEEN :start AND :end {filters}
ORDER BY s.responded_at DESC, s.id DESC
LIMIT :limit OFFSET :offset
"""


def trend_start(window: DateRange) -> datetime:
    """Start of the trend: the last 30 UTC days of the range (the end's day included), or the range start."""
    first_day = window.end.astimezone(UTC).date() - timedelta(days=TREND_DAYS - 1)
    return max(window.start, datetime.combine(first_day, time.min, tzinfo=UTC))


def csat_in(
    scope: Scope, window: DateRange, *, team_id: str | None = None, agent_id: str | None = None
) -> CsatResponse:
    rows = csat_rows(scope.tx, scope.tenant.id, window, trend_start(window), team_id=team_id, agent_id=agent_id)
    # Grouping sets of an empty range still give the overall row, with null sums.
    overall = next(row for row in rows if row["all_days"] and row["all_agents"])
    days = sorted((r for r in rows if not r["all_days"] and r["day"] is not None), key=lambda r: r["day"])
    agents = sorted(
        (r for r in rows if not r["all_agents"] and r["agent"]),
        key=lambda r: (-r["responses"], r["agent_name"], r["agent"]),
    )
    return CsatResponse(
        total_responses=overall["responses"] or 0,
        rated_responses=overall["rated"] or 0,
        avg_rating=num(overall["avg_rating"]),
        positive_responses=overall["positive"] or 0,
        positive_rate=float(overall["positive_rate"] or 0),
        distribution=[
            RatingCount(rating=rating, response_count=overall[f"rating_{rating}"])
            for rating in range(5, 0, -1)
            if overall[f"rating_{rating}"]
        ],
        trend=[CsatDay(day=r["day"].isoformat(), count=r["responses"], avg_rating=num(r["avg_rating"])) for r in days],
        per_agent=[
            CsatAgent(
                assignee_user_id=r["agent"],
                assignee_name=r["agent_name"],
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
    filters, params = assignee_filters("c", team_id=team_id, agent_id=agent_id)
    query = {**range_params(caller.tenant_id, window), **params}
    with tenant_scope(caller) as scope:
        total = csat_totals(scope.tx, caller.tenant_id, window, team_id=team_id, agent_id=agent_id)["responses"]
        # Past the last match there is nothing to read: skip the walk through `offset` index entries.
        rows = (
            scope.tx.all(RESPONSES_PAGE_SQL.format(filters=filters), limit=limit, offset=offset, **query)
            if offset < total
            else []
        )
    items = [
        CsatResponseItem(
            **{
                **row,
                "sent_at": iso_z(row["sent_at"]),
                "responded_at": iso_z(row["responded_at"]),
                # What a customer or an agent typed may hold a phone number or an email: every read role and API
                # key sees this route, so the free text is redacted as in exports (docs/security.md control 8).
                **redacted_fields(row, FREE_TEXT_FIELDS),
            }
        )
        for row in rows
    ]
    return CsatResponsesPage(items=items, total=total, limit=limit, offset=offset)
