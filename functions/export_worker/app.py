"""Export worker (SQS): each message {"export_id", "tenant_id"} becomes one file in S3; partial batch failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.exports.worker import handle_batch
from aurion.logs import logger
from aurion.tracing import capture_handler


@capture_handler
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context)
