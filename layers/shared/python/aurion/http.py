"""The resolver every API function uses: validation, CORS, and the one place errors become HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from aurion.auth.caller import Caller
from aurion.errors import AurionError
from aurion.logs import logger
from aurion.redaction import protect_framework_logs
from aurion.settings import get_settings

CORS_MAX_AGE_SECONDS = 600


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        errors.append(
            {
                "loc": list(error.get("loc", ())),
                "msg": str(error.get("msg") or error.get("type", "invalid value")).replace("_", " "),
                "type": error.get("type", "value_error"),
            }
        )
    return errors


def create_app(*, roles: Iterable[str] | None = None) -> APIGatewayRestResolver:
    """The resolver of one function. With `roles`, a caller outside them gets 403 even for a request that fails
    validation (which runs before any route code): they learn nothing about the rules of a body they may not send.
    """
    settings = get_settings()
    origins = settings.cors_allowed_origins
    cors = CORSConfig(
        allow_origin=origins[0] if origins else "",
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "RateLimit", "RateLimit-Policy"],
        max_age=CORS_MAX_AGE_SECONDS,
        allow_credentials=False,
    )
    # The resolver logs route arguments (a searched phone number, say) at DEBUG: redact them in every function.
    protect_framework_logs()
    app = APIGatewayRestResolver(enable_validation=True, cors=cors)

    @app.exception_handler(AurionError)
    def _domain_error(exc: AurionError) -> Response:
        if exc.status_code >= 500:
            logger.warning("request failed", extra={"status": exc.status_code, "error_type": type(exc).__name__})
        return json_response(exc.status_code, exc.body(), exc.headers())

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        if roles is not None:
            try:
                current_caller(app).require(roles)
            except AurionError as error:
                return json_response(error.status_code, error.body(), error.headers())
        return json_response(422, {"detail": _validation_errors(exc)})

    @app.not_found
    def _not_found(_exc: Exception) -> Response:
        return json_response(404, {"detail": "Not found"})

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Never a stack trace to the client; the log line names the type so it can be found.
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return json_response(500, {"detail": "Internal server error"})

    return app


def current_caller(app: APIGatewayRestResolver) -> Caller:
    return Caller.from_request_context(app.current_event.raw_event.get("requestContext") or {})
