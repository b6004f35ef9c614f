"""Ingest (SQS, fed by the ingest bus's rule): the helpdesk's events into the analytics tables; partial failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.ingest.consumer import handle_batch, metrics
from aurion.logs import logger
from aurion.tracing import capture_handler


@capture_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context)
