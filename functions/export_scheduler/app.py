"""Export scheduler (EventBridge schedule): queue one export per due schedule and period."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.exports.scheduler import handle_schedule_event
from aurion.logs import logger
from aurion.tracing import capture_handler


@capture_handler
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return handle_schedule_event(event, context)
