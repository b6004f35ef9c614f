"""GET /api/v2/analytics/conversations/insights: every block of the dashboard's insights page at once."""

from __future__ import annotations

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import iso_offset
from aurion.metrics.csat import csat_in
from aurion.metrics.email import email_channel_metrics
from aurion.metrics.health import measure
from aurion.metrics.help_center import help_center_deflection
from aurion.models.conversations import InsightsResponse, RangeEcho
from aurion.params import DateRange


def insights(caller: Caller, window: DateRange) -> InsightsResponse:
    with tenant_scope(caller) as scope:
        tx, tenant_id = scope.tx, scope.tenant.id
        health, breakdown = measure(scope, window)
        return InsightsResponse(
            csat=csat_in(scope, window),
            busiest_hours=breakdown.busiest_hours,
            top_topics=breakdown.top_topics,
            agent_performance=breakdown.agents,
            team_performance=breakdown.teams,
            help_center_deflection=help_center_deflection(tx, tenant_id, window),
            sla_breach_trend=breakdown.sla_days,
            email_channel_metrics=email_channel_metrics(tx, tenant_id, window),
            aggregation_health=health,
            metadata=RangeEcho(date_from=iso_offset(window.start), date_to=iso_offset(window.end)),
        )
