"""Rollup aggregator (EventBridge schedule): the dispatcher, one job per tenant with work onto the rollup queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.logs import logger
from aurion.rollups.scheduled import handle_aggregator_event, metrics
from aurion.tracing import capture_handler


@capture_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_aggregator_event(event, context)
