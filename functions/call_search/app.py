"""GET /api/v1/analytics/search: phone-number search over calls, rate limited per user and audited."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.http import create_app, current_caller
from aurion.logs import logger
from aurion.metrics.call_search import SEARCH_RESPONSES, search_calls
from aurion.models.voice import CallSearchResponse
from aurion.tracing import capture_handler
from aurion.voice_params import EndDate, Phone, SearchLimit, StartDate, Tz, search_query

app = create_app()


@app.get("/api/v1/analytics/search", responses=SEARCH_RESPONSES)
def search(
    phone: Phone, start_date: StartDate, end_date: EndDate, limit: SearchLimit = 50, tz: Tz = "UTC"
) -> Response[CallSearchResponse]:
    return search_calls(current_caller(app), search_query(phone, start_date, end_date, tz, limit))


@capture_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
