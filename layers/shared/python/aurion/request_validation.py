"""Powertools' request validation, with the conventions clients of API Gateway and FastAPI rely on.

- A repeated scalar query key (`?limit=5&limit=7`) means its last value, as in API Gateway's
  queryStringParameters and in FastAPI. Powertools validates the REST event's multiValueQueryStringParameters,
  so `limit` arrived as ["5", "7"]: a 422 "Input should be a valid integer".
- A body is JSON, sent as application/json (or with no Content-Type at all). Anything else is a 415 that says so.
  Powertools parsed application/x-www-form-urlencoded, which is what `curl -d '{...}'` sends without `-H`: the
  whole JSON text became one form key, and the client got a 422 whose loc was its own body.
- A base64 body that is not UTF-8 is a 422 on ["body"], not an unhandled UnicodeDecodeError.

The body itself is parsed by aurion.json_body (the resolver's json_body_deserializer).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.dependant import is_scalar_field
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.event_handler.types import EventHandlerInstance

JSON_MEDIA_TYPE = "application/json"


def media_type(content_type: str | None) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json` (media types are case-insensitive)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


class RequestValidation(OpenAPIRequestValidationMiddleware):
    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        _keep_last_value_of_repeated_scalars(app)
        return super().handler(app, next_middleware)

    def _get_body(self, app: EventHandlerInstance) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type")
        if media_type(content_type) not in ("", JSON_MEDIA_TYPE):
            raise RequestUnsupportedContentType(
                "Unsupported content type",
                errors=[{"type": "unsupported_content_type", "loc": ("body",), "msg": "Send application/json"}],
            )
        try:
            body: dict[str, Any] = self._parse_json_data(app)
        except UnicodeDecodeError:
            raise RequestValidationError(
                [{"type": "json_invalid", "loc": ("body",), "msg": "The body is not UTF-8 encoded JSON", "input": {}}]
            ) from None
        return body


def _keep_last_value_of_repeated_scalars(app: EventHandlerInstance) -> None:
    """Leave only the last value of every repeated query key that the route takes as a scalar (a list parameter
    keeps all of its values)."""
    event = app.current_event
    values = event.multi_value_query_string_parameters
    scalars = {param.alias for param in app.context["_route"].dependant.query_params if is_scalar_field(param)}
    repeated = {name: values[name][-1:] for name in scalars if len(values.get(name) or ()) > 1}
    if repeated:
        # The event is this invocation's own (Lambda hands each invocation a fresh one): replacing the key is safe.
        event.raw_event["multiValueQueryStringParameters"] = {**values, **repeated}
