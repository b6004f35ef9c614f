"""Custom::Migrations (CloudFormation, on every deployment): pending migrations and the app role's password."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.deploy_migrations import handle
from aurion.logs import logger
from aurion.tracing import capture_handler


@capture_handler
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, dict(os.environ))
