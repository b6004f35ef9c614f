"""Lambda REQUEST authorizer for the analytics API (see aurion.authorizer for the rules)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aurion.api_keys.authentication import find_api_key
from aurion.authorizer import authorize
from aurion.errors import Unauthorized
from aurion.logs import logger
from aurion.settings import get_settings
from aurion.tracing import capture_handler

settings = get_settings()
# The one function given the session-signing key: without it the cold start fails here, not a request.
session_secret = settings.signing_secret()


@capture_handler
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return authorize(
            event,
            session_secret,
            find_api_key,
            issuer=settings.session_issuer,
            audience=settings.session_audience,
        )
    except Unauthorized as exc:
        logger.info("request not authenticated", extra={"reason": exc.detail})
        # API Gateway answers 401 (the UNAUTHORIZED gateway response) only for this exact message.
        raise Exception("Unauthorized") from None
