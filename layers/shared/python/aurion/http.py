"""The resolver every API function uses: validation, CORS, and the one place errors become HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError

from aurion.auth.caller import Caller
from aurion.auth.key_quota import API_KEY_LIMIT_DETAIL, count_api_key_request
from aurion.errors import AurionError, UnsupportedMediaType
from aurion.json_body import read_json
from aurion.logs import log_failure, logger
from aurion.ratelimit import RateLimitDecision
from aurion.redaction import protect_framework_logs
from aurion.request_validation import RequestValidation
from aurion.settings import get_settings

CORS_MAX_AGE_SECONDS = 600
_API_KEY_QUOTA = "api_key_quota"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        msg = str(error.get("msg") or error.get("type", "invalid value")).replace("_", " ")
        reason = (error.get("ctx") or {}).get("error")
        if error.get("type") == "json_invalid" and isinstance(reason, str):
            msg = f"{msg}: {reason}"  # "JSON decode error: Expecting value", "...: Nested deeper than 32 levels"
        errors.append({"loc": list(error.get("loc", ())), "msg": msg, "type": error.get("type", "value_error")})
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
    app = APIGatewayRestResolver(enable_validation=True, cors=cors, json_body_deserializer=read_json)
    # Powertools' validation with the conventions of aurion.request_validation: it runs before any middleware.
    app._request_validation_middleware = RequestValidation()
    app.use(middlewares=[_api_key_rate_limit])

    @app.exception_handler(AurionError)
    def _domain_error(exc: AurionError) -> Response:
        if exc.status_code >= 500:
            logger.warning("request failed", extra={"status": exc.status_code, "error_type": type(exc).__name__})
        return json_response(exc.status_code, exc.body(), {**_quota_headers(app), **exc.headers()})

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        # Validation runs before any middleware: an invalid request from an API key is counted here.
        quota = _api_key_quota(app)
        if quota is not None and not quota.allowed:
            error = quota.error(API_KEY_LIMIT_DETAIL)
            return json_response(error.status_code, error.body(), error.headers())
        if roles is not None:
            try:
                current_caller(app).require(roles)
            except AurionError as error:
                return json_response(error.status_code, error.body(), {**_quota_headers(app), **error.headers()})
        return json_response(422, {"detail": _validation_errors(exc)}, _quota_headers(app))

    @app.not_found
    def _not_found(_exc: Exception) -> Response:
        return json_response(404, {"detail": "Not found"})

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Never a stack trace to the client, nor one with values in the log: the type and where it was raised.
        log_failure("unhandled error", exc)
        return json_response(500, {"detail": "Internal server error"}, _quota_headers(app))

    @app.exception_handler(RequestUnsupportedContentType)
    def _not_json(_exc: RequestUnsupportedContentType) -> Response:
        # A body sent as anything but application/json (aurion.request_validation), before any route code runs.
        error: AurionError = UnsupportedMediaType()
        if roles is not None:
            try:
                current_caller(app).require(roles)
            except AurionError as refusal:
                error = refusal
        return json_response(error.status_code, error.body(), error.headers())

    return app


def _api_key_quota(app: APIGatewayRestResolver) -> RateLimitDecision | None:
    """This request's count against its API key, taken once per request; None for a dashboard session."""
    if _API_KEY_QUOTA not in app.context:
        request_context = app.current_event.raw_event.get("requestContext") or {}
        app.append_context(**{_API_KEY_QUOTA: count_api_key_request(request_context)})
    quota: RateLimitDecision | None = app.context[_API_KEY_QUOTA]
    return quota


def _quota_headers(app: APIGatewayRestResolver) -> dict[str, str]:
    quota = app.context.get(_API_KEY_QUOTA)
    return quota.headers() if quota is not None else {}


def _api_key_rate_limit(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
    """Every route: an API key over its limit gets 429; every answer to a key carries its rate-limit headers."""
    quota = _api_key_quota(app)
    if quota is not None and not quota.allowed:
        raise quota.error(API_KEY_LIMIT_DETAIL)
    response = next_middleware(app)
    for name, value in _quota_headers(app).items():
        # A route with a tighter limit of its own (the phone search's 10 a minute) reports that one.
        response.headers.setdefault(name, value)
    return response


def current_caller(app: APIGatewayRestResolver) -> Caller:
    return Caller.from_request_context(app.current_event.raw_event.get("requestContext") or {})
