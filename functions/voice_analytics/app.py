"""GET /api/v1/analytics/{call-metrics,resolution-rates,usage-patterns}: the voice-agent views."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.http import create_app, current_caller
from aurion.logs import logger
from aurion.metrics.call_metrics import call_metrics
from aurion.metrics.usage_patterns import usage_patterns
from aurion.metrics.voice_resolution import voice_resolution_rates
from aurion.models.voice import CallMetricsResponse, UsagePatternsResponse, VoiceResolutionResponse
from aurion.tracing import capture_handler
from aurion.voice_params import EndDate, OutcomeFilter, StartDate, Tz, local_date_range

app = create_app()
BASE = "/api/v1/analytics"


@app.get(f"{BASE}/call-metrics")
def metrics(
    start_date: StartDate, end_date: EndDate, outcome: OutcomeFilter = None, tz: Tz = "UTC"
) -> CallMetricsResponse:
    return call_metrics(current_caller(app), local_date_range(start_date, end_date, tz), outcome=outcome)


@app.get(f"{BASE}/resolution-rates")
def resolution(start_date: StartDate, end_date: EndDate, tz: Tz = "UTC") -> VoiceResolutionResponse:
    return voice_resolution_rates(current_caller(app), local_date_range(start_date, end_date, tz))


@app.get(f"{BASE}/usage-patterns")
def usage(start_date: StartDate, end_date: EndDate, tz: Tz = "UTC") -> UsagePatternsResponse:
    return usage_patterns(current_caller(app), local_date_range(start_date, end_date, tz))


@capture_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
