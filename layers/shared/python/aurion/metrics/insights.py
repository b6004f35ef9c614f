"""GET /api/v2/analytics/conversations/insights: every block of the dashboard's insights page at once."""

from __future__ import annotations

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.activity import busiest_hours, top_topics
from aurion.metrics.common import iso_offset
from aurion.metrics.csat import csat_in
from aurion.metrics.email import email_channel_metrics
from aurion.metrics.health import health_in
from aurion.metrics.help_center import help_center_deflection
from aurion.metrics.performance import agent_performance, team_performance
from aurion.metrics.sla import breach_trend
from aurion.models.conversations import InsightsResponse, RangeEcho
from aurion.params import DateRange


def insights(caller: Caller, window: DateRange) -> InsightsResponse:
    with tenant_scope(caller) as scope:
        tx, tenant_id = scope.tx, scope.tenant.id
        return InsightsResponse(
            csat=csat_in(scope, window),
            busiest_hours=busiest_hours(tx, tenant_id, window),
            top_topics=top_topics(tx, tenant_id, window),
            agent_performance=agent_performance(tx, tenant_id, window),
            team_performance=team_performance(tx, tenant_id, window),
            help_center_deflection=help_center_deflection(tx, tenant_id, window),
            sla_breach_trend=breach_trend(tx, tenant_id, window),
            email_channel_metrics=email_channel_metrics(tx, tenant_id, window),
            aggregation_health=health_in(scope, window),
            metadata=RangeEcho(date_from=iso_offset(window.start), date_to=iso_offset(window.end)),
        )
