"""What the OpenAPI document says about errors: the answers every route can give besides its own.

A route's own responses (its 200 model, a 404 for an unknown id, ...) are declared on the route. These are the
ones no route declares because every route can give them: the authorizer's 401 and 403 (API Gateway answers them
before any function runs), the resolver's 403 (role guard, plan gate) and 503 (database unreachable or too
slow: aurion.http maps ServiceUnavailable). All use the API's error shape {"detail": "..."}.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

ERROR_SCHEMA = "HTTPError"


class HTTPError(BaseModel):
    detail: str


COMMON_ERRORS: dict[int, str] = {
    401: "No valid dashboard session: the token is missing, malformed, expired or not signed by the dashboard",
    403: "Not allowed: an X-API-Key where a session is required, a role this route does not serve, or a tenant "
    "whose plan does not include analytics",
    431: "The request line and headers pass 10,240 bytes, API Gateway's limit (it refuses the request itself)",
    503: "The database is unreachable or the query ran too long; retry after Retry-After seconds",
}


def error_response(description: str, *, retry_after: bool = False) -> OpenAPIResponse:
    """One documented error answer in the API's {"detail": ...} shape."""
    response: OpenAPIResponse = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    return response


# Only where they apply: a route with an id in its path, a route that takes a body.
UNKNOWN_ID = "No such id for this tenant (another tenant's ids are unknown ids too)"
NOT_JSON = "The body was not sent as JSON (Content-Type: application/json)"


def add_common_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Document COMMON_ERRORS on every operation of an OpenAPI document, 404 on those with a path parameter and
    415 on those with a body (a route's own description of the same status wins), and the HTTPError schema they
    refer to. Changes and returns `document`."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_SCHEMA, HTTPError.model_json_schema())
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            errors = dict(COMMON_ERRORS)
            if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
                errors[404] = UNKNOWN_ID
            if "requestBody" in operation:
                errors[415] = NOT_JSON
            responses = operation.setdefault("responses", {})
            for status, description in sorted(errors.items()):
                if str(status) not in responses and status not in responses:
                    responses[str(status)] = error_response(description, retry_after=status == 503)
    return document
