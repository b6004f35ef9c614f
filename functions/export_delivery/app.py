"""Export deliveries (SQS, DLQ after the queue's receives): one e-mail or signed webhook per message."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.exports.delivery import handle_batch
from aurion.logs import logger
from aurion.tracing import capture_handler


@capture_handler
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context)
