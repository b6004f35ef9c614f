"""Rollup worker (SQS, the rollup queue): one tenant's run or one month of a split rebuild per message."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.logs import logger
from aurion.rollups.worker import handle_batch, metrics
from aurion.tracing import capture_handler


@capture_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context)
