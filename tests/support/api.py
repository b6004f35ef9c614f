"""Calling a function handler the way API Gateway does: a REST proxy event with the authorizer's context."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:000000000000:function:test-function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def rest_event(
    method: str,
    url: str,
    *,
    caller: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    headers = {"Host": "api.test", **(headers or {})}
    request_id = str(uuid.uuid4())
    return {
        "resource": resource or parts.path,
        "path": parts.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or parts.path,
            "httpMethod": method,
            "path": f"/api{parts.path}",
            "stage": "api",
            "requestId": request_id,
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": caller,
        },
        "body": json.dumps(body) if body is not None and not isinstance(body, str) else body,
        "isBase64Encoded": False,
    }


def invoke(module: ModuleType, event: dict[str, Any]) -> ApiResponse:
    result = module.lambda_handler(event, FakeLambdaContext())
    headers = {k: v for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(values)
    raw = result.get("body")
    try:
        body = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        body = raw
    return ApiResponse(status=result["statusCode"], headers=headers, body=body)


def get(module: ModuleType, url: str, caller: dict[str, str], **kwargs: Any) -> ApiResponse:
    return invoke(module, rest_event("GET", url, caller=caller, **kwargs))


def caller_for(tenant_id: Any, role: str = "tenant_admin", user_id: Any = None) -> dict[str, str]:
    return {"tenant_id": str(tenant_id), "user_id": str(user_id or uuid.uuid4()), "role": role}


def assert_validation_error(response: ApiResponse, loc: list[str]) -> None:
    """A 422 in FastAPI's shape whose first error points at loc (e.g. ["query", "date_from"])."""
    assert response.status == 422, response.body
    assert isinstance(response.body["detail"], list)
    assert response.body["detail"]
    error = response.body["detail"][0]
    assert set(error) == {"loc", "msg", "type"}
    assert error["loc"] == loc
