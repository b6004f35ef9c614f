"""GET /api/v2/analytics/conversations/*: the dashboard's conversation views."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.http import create_app, current_caller
from aurion.logs import logger
from aurion.metrics.csat import csat_responses, csat_summary
from aurion.metrics.health import aggregation_health
from aurion.metrics.insights import insights
from aurion.metrics.overview import conversation_overview
from aurion.metrics.resolution import resolution_rates
from aurion.metrics.sla import sla_compliance
from aurion.metrics.teams import list_teams
from aurion.models.conversations import (
    AggregationHealth,
    CsatResponse,
    CsatResponsesPage,
    InsightsResponse,
    OverviewResponse,
    ResolutionRatesResponse,
    SlaComplianceResponse,
    TeamsResponse,
)
from aurion.params import AgentId, DateFrom, DateTo, Limit, Offset, TeamId, date_range, optional_id
from aurion.tracing import capture_handler

app = create_app()
BASE = "/api/v2/analytics/conversations"


@app.get(f"{BASE}/overview")
def overview(date_from: DateFrom = None, date_to: DateTo = None) -> OverviewResponse:
    return conversation_overview(current_caller(app), date_range(date_from, date_to))


@app.get(f"{BASE}/sla-compliance")
def sla(date_from: DateFrom = None, date_to: DateTo = None) -> SlaComplianceResponse:
    return sla_compliance(current_caller(app), date_range(date_from, date_to))


@app.get(f"{BASE}/csat")
def csat(
    date_from: DateFrom = None, date_to: DateTo = None, team_id: TeamId = None, agent_id: AgentId = None
) -> CsatResponse:
    return csat_summary(
        current_caller(app),
        date_range(date_from, date_to),
        team_id=optional_id(team_id),
        agent_id=optional_id(agent_id),
    )


@app.get(f"{BASE}/csat/responses")
def csat_drilldown(
    date_from: DateFrom = None,
    date_to: DateTo = None,
    team_id: TeamId = None,
    agent_id: AgentId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CsatResponsesPage:
    return csat_responses(
        current_caller(app),
        date_range(date_from, date_to),
        limit=limit,
        offset=offset,
        team_id=optional_id(team_id),
        agent_id=optional_id(agent_id),
    )


@app.get(f"{BASE}/resolution-rates")
def resolution(date_from: DateFrom = None, date_to: DateTo = None, team_id: TeamId = None) -> ResolutionRatesResponse:
    return resolution_rates(current_caller(app), date_range(date_from, date_to), team_id=optional_id(team_id))


@app.get(f"{BASE}/teams")
def teams() -> TeamsResponse:
    return list_teams(current_caller(app))


@app.get(f"{BASE}/insights")
def conversation_insights(date_from: DateFrom = None, date_to: DateTo = None) -> InsightsResponse:
    return insights(current_caller(app), date_range(date_from, date_to))


@app.get(f"{BASE}/aggregation-health")
def health(date_from: DateFrom = None, date_to: DateTo = None) -> AggregationHealth:
    return aggregation_health(current_caller(app), date_range(date_from, date_to))


@capture_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
