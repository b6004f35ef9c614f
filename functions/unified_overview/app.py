"""GET /api/v2/analytics/unified-overview: voice, helpdesk and knowledge base in one view."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.http import create_app, current_caller
from aurion.logs import logger
from aurion.metrics.unified import unified_overview
from aurion.models.unified import UnifiedOverviewResponse
from aurion.params import DateFrom, DateTo, date_range
from aurion.tracing import capture_handler

app = create_app()


@app.get("/api/v2/analytics/unified-overview")
def overview(date_from: DateFrom = None, date_to: DateTo = None) -> UnifiedOverviewResponse:
    return unified_overview(current_caller(app), date_range(date_from, date_to))


@capture_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
