"""A local stand-in for the API Gateway REST API of template.yaml (`sam local` needs Docker; this does not).

Per request, in API Gateway's order:

1. Route: method + path against the template's `Api` events ({param} and {proxy+} segments; literal
   segments win over parameters, an exact method over ANY). No route -> the MISSING_AUTHENTICATION_TOKEN
   gateway response, which is what the deployed REST API sends for an unknown path or method: 403
   "Missing Authentication Token" by default, and whatever the template customises it to (today a 404
   `{"detail": "Not found"}`). We deliberately invent nothing here: a client that works locally must see
   what production sends, so the template alone decides.
2. CORS preflight (OPTIONS on a known path, no explicit OPTIONS route): answered here like SAM's generated
   mock integration, from the API's `Cors` setting, and without the authorizer unless the template puts it on
   preflights (AddDefaultAuthorizerToCorsPreflight). Without a usable `Cors`, an origin listed in
   CORS_ALLOWED_ORIGINS is echoed (and a warning says the deployed API would refuse the preflight).
3. Authorizer (the route's, else the API's default): a REST REQUEST (or TOKEN) event. A raised "Unauthorized"
   -> UNAUTHORIZED (401); a policy that does not allow this methodArn -> ACCESS_DENIED (403), whose template
   can render `$context.authorizer.<key>` from the policy's context; any other failure or a malformed policy
   -> AUTHORIZER_CONFIGURATION_ERROR (500).
4. Function: a faithful REST proxy event; its response is written back. A handler exception or a malformed
   response -> 502 through DEFAULT_5XX, as API Gateway does for a failed Lambda integration; a handler that
   overran API Gateway's 29 s -> INTEGRATION_TIMEOUT (504).

Gateway responses use the template's GatewayResponses (status, templates with plain `$context.*`
substitution, header mapping expressions); an uncustomised type inherits DEFAULT_4XX / DEFAULT_5XX, else
API Gateway's built-in `{"message": ...}`. Template parameters take their Default, except those a function
variable is bound to (`CORS_ALLOWED_ORIGINS: !Ref CorsAllowedOrigins`): a set variable is the parameter's
local value, so CORS headers follow the local origins as they would in a stack deployed with them.

Fidelity notes: `path` and `pathParameters` are passed percent-encoded as received and query parameters
decoded with '+' as a space (what REST APIs do); `requestContext.path` is `/<stage><path>`, as on the
execute-api endpoint. A request whose request line and header values together pass 10,240 bytes (API Gateway's
fixed REST quota: a 10 KB session token, say) is refused before routing with a 431 `{"detail"}`. Deployed, API
Gateway's front end refuses it before any authorizer or gateway response the template could shape, so the body
there is API Gateway's own (reports show a 431); locally it is in the API's shape, like http.server's own
refusals (a header line over 64 KB, more than 100 headers, a malformed request line), which would otherwise be
HTML pages. Not emulated: stage throttling (THROTTLED), request validation, binary media types (a base64 body
from a function is decoded), response compression. The access log names method, path
(decoded, phone numbers and emails redacted; never the query string, which can hold phone numbers), status and
duration; no header is ever logged.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit
from wsgiref.headers import Headers

from local.lambda_runtime import FunctionInitError, LambdaRuntime, refresh_shared_state
from local.paths import SHARED_LAYER, ensure_layer_on_path
from local.sam_model import ApiModel, Authorizer, Route, load_api_model

if TYPE_CHECKING:
    from local.dashboard_site import DashboardSite

log = logging.getLogger("local.gateway")

REGION = "local"
ACCOUNT = "000000000000"
API_ID = "local"
DEFAULT_CORS_ORIGINS = "http://localhost:5173,http://127.0.0.1:5173"
# Used only when the template has no Cors setting (deployed, preflights would then fail: we warn).
_FALLBACK_PREFLIGHT_HEADERS = "Authorization,Content-Type"
INTEGRATION_TIMEOUT_S = 29
# API Gateway REST quota "total combined size of request line and header values" (cannot be increased).
MAX_REQUEST_HEADER_BYTES = 10240
_ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


class GatewayResult(NamedTuple):
    status: int
    headers: Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class _ResponseType:
    status: int
    message: str | None
    error_type: str  # x-amzn-ErrorType


# API Gateway's built-in gateway responses (the ones this gateway can produce).
_RESPONSE_TYPES = {
    "UNAUTHORIZED": _ResponseType(401, "Unauthorized", "UnauthorizedException"),
    "ACCESS_DENIED": _ResponseType(
        403, "User is not authorized to access this resource with an explicit deny", "AccessDeniedException"
    ),
    "MISSING_AUTHENTICATION_TOKEN": _ResponseType(
        403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    ),
    "AUTHORIZER_CONFIGURATION_ERROR": _ResponseType(500, None, "AuthorizerConfigurationException"),
    "INTEGRATION_TIMEOUT": _ResponseType(504, "Endpoint request timed out", "InternalServerErrorException"),
    "DEFAULT_5XX": _ResponseType(502, "Internal server error", "InternalServerErrorException"),
}


@dataclass
class _Request:
    method: str
    raw_path: str  # without the query string, percent-encoded as received
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes | None
    source_ip: str
    request_id: str
    started: float
    header_bytes: int = 0  # the request line and every header value

    def header(self, name: str) -> str | None:
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else None


class _AuthorizerVerdict(NamedTuple):
    allowed: bool
    principal: str | None
    context: dict[str, str]


class _PolicyError(ValueError):
    """The authorizer returned something API Gateway would reject (AUTHORIZER_CONFIGURATION_ERROR)."""


# --- events -------------------------------------------------------------------------------------------------


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def _request_context(request: _Request, route: Route, stage: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "resourceId": API_ID,
        "resourcePath": route.resource,
        "httpMethod": request.method,
        "path": f"/{stage}{request.raw_path}",
        "stage": stage,
        "protocol": "HTTP/1.1",
        "requestId": request.request_id,
        "extendedRequestId": request.request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "domainName": request.header("Host") or "127.0.0.1",
        "domainPrefix": (request.header("Host") or "127").split(".")[0],
        "identity": {
            "sourceIp": request.source_ip,
            "userAgent": request.header("User-Agent"),
            "accountId": None,
            "apiKey": None,
            "caller": None,
            "user": None,
            "userArn": None,
        },
    }


def _event_basics(request: _Request, route: Route, params: dict[str, str], stage: str) -> dict[str, Any]:
    query = _multi(request.query)
    return {
        "resource": route.resource,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": {key: values[-1] for key, values in _multi(request.headers).items()},
        "multiValueHeaders": _multi(request.headers),
        "queryStringParameters": {key: values[-1] for key, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": params or None,
        "requestContext": _request_context(request, route, stage),
    }


def _loggable(raw_path: str) -> str:
    """A path as the access log shows it: percent-decoded, then phone numbers and emails redacted the way every
    answer redacts them (aurion.redaction), since a path segment can be anything a client typed."""
    ensure_layer_on_path()
    from aurion.redaction import redact_text

    return redact_text(unquote(raw_path)) or ""


def method_arn(stage: str, method: str, path: str) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{stage}/{method}{path}"


def _authorizer_event(
    request: _Request, route: Route, params: dict[str, str], stage: str, authorizer: Authorizer
) -> dict[str, Any]:
    arn = method_arn(stage, request.method, request.raw_path)
    if authorizer.payload_type == "TOKEN":
        token = request.header(authorizer.identity_headers[0]) if authorizer.identity_headers else None
        return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
    event = _event_basics(request, route, params, stage)
    # REQUEST authorizer events carry empty objects where the proxy event has nulls.
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters"):
        event[key] = event[key] or {}
    return {"type": "REQUEST", "methodArn": arn, **event, "stageVariables": {}}


def _proxy_event(
    request: _Request, route: Route, params: dict[str, str], stage: str, verdict: _AuthorizerVerdict | None
) -> dict[str, Any]:
    event = _event_basics(request, route, params, stage)
    if verdict is not None:
        event["requestContext"]["authorizer"] = {
            **verdict.context,
            "principalId": verdict.principal,
            "integrationLatency": int((time.monotonic() - request.started) * 1000),
        }
    body, encoded = None, False
    if request.body:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(request.body).decode("ascii"), True
    return {**event, "stageVariables": None, "body": body, "isBase64Encoded": encoded}


# --- authorizer policy --------------------------------------------------------------------------------------


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(".".join(map(re.escape, part.split("?"))) for part in pattern.split("*")))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _flat_context(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _PolicyError("context must be an object")
    flat: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, bool):
            flat[key] = "true" if value else "false"  # REST APIs hand every context value on as a string
        elif isinstance(value, (str, int, float)):
            flat[key] = str(value)
        elif value is not None:
            raise _PolicyError(f"context value {key!r} is not a string, number or boolean")
    return flat


def evaluate_policy(result: Any, arn: str) -> _AuthorizerVerdict:
    """IAM-style evaluation: allowed iff an Allow statement matches the methodArn and no Deny statement does."""
    if not isinstance(result, dict) or not isinstance(result.get("principalId"), str):
        raise _PolicyError("the authorizer result needs a string principalId")
    document = result.get("policyDocument")
    if not isinstance(document, dict) or "Statement" not in document:
        raise _PolicyError("the authorizer result needs a policyDocument with Statement")
    allowed = False
    for statement in _as_list(document["Statement"]):
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise _PolicyError("each statement needs Effect Allow or Deny")
        actions = _as_list(statement.get("Action", []))
        if not any(_wildcard(str(action)).fullmatch("execute-api:Invoke") for action in actions):
            continue
        if any(_wildcard(str(resource)).fullmatch(arn) for resource in _as_list(statement.get("Resource", []))):
            if statement["Effect"] == "Deny":
                allowed = False
                break
            allowed = True
    return _AuthorizerVerdict(
        allowed=allowed, principal=result["principalId"], context=_flat_context(result.get("context"))
    )


# --- gateway responses --------------------------------------------------------------------------------------

_CONTEXT_VARIABLE = re.compile(r"\$\{context\.(\w+(?:\.\w+)*)\}|\$context\.(\w+(?:\.\w+)*)")


class Gateway:
    """The API of one template; `invoke` serves a request without HTTP (tests), the server wraps it."""

    def __init__(
        self,
        template_path: Path,
        repo_root: Path,
        *,
        cors_origins: list[str] | None = None,
        parameter_overrides: dict[str, str] | None = None,
        layer_paths: list[Path] | None = None,
    ) -> None:
        self.model: ApiModel = load_api_model(template_path, repo_root, parameter_overrides, os.environ)
        origins = cors_origins
        if origins is None:
            origins = os.environ.get("CORS_ALLOWED_ORIGINS", DEFAULT_CORS_ORIGINS).split(",")
        # Only for a preflight the template's Cors cannot answer (no Cors, or an origin it cannot resolve).
        self.cors_origins = [origin.strip() for origin in origins if origin.strip()]
        # A new gateway is a new set of execution environments: nothing cached from an earlier one survives.
        refresh_shared_state()
        layers = [str(path) for path in (layer_paths or [repo_root / "layers" / "shared" / "python", SHARED_LAYER])]
        self.runtime = LambdaRuntime(self.model.functions, list(dict.fromkeys(layers)))
        if self.model.cors is None:
            log.warning("template.yaml has no Cors on %s: deployed, browser preflights would get 403; "
                        "answering them locally anyway", self.model.api_id)  # fmt: skip

    # -- the request pipeline --

    def invoke(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        *,
        source_ip: str = "127.0.0.1",
    ) -> GatewayResult:
        """Serve one request; `path` may carry a query string. Never raises for a request's sake."""
        parts = urlsplit(path)
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        request = _Request(
            method=method.upper(),
            raw_path=parts.path or "/",
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=pairs,
            body=body.encode("utf-8") if isinstance(body, str) else body,
            source_ip=source_ip,
            request_id=str(uuid.uuid4()),
            started=time.monotonic(),
            header_bytes=len(f"{method} {path} HTTP/1.1".encode()) + sum(len(value.encode()) for _, value in pairs),
        )
        try:
            result = self._serve(request)
        except Exception:
            path = _loggable(request.raw_path)
            log.error("gateway failure on %s %s\n%s", request.method, path, traceback.format_exc())
            result = self._gateway_response("DEFAULT_5XX", request)
        result.headers["x-amzn-RequestId"] = request.request_id
        elapsed_ms = (time.monotonic() - request.started) * 1000
        log.info("%s %s %d %.0fms", request.method, _loggable(request.raw_path), result.status, elapsed_ms)
        return result

    def _serve(self, request: _Request) -> GatewayResult:
        if request.header_bytes > MAX_REQUEST_HEADER_BYTES:
            return _json_error(
                431,
                f"The request line and headers take {request.header_bytes} bytes: API Gateway accepts at most "
                f"{MAX_REQUEST_HEADER_BYTES}",
            )
        found = self.model.find_route(request.method, request.raw_path)
        if found is None and request.method == "OPTIONS":
            return self._preflight_route(request)
        if found is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", request)
        route, params = found
        verdict: _AuthorizerVerdict | None = None
        if route.authorizer is not None:
            outcome = self._authorize(request, route, params)
            if isinstance(outcome, GatewayResult):
                return outcome
            verdict = outcome
        event = _proxy_event(request, route, params, self.model.stage, verdict)
        invoked = time.monotonic()
        try:
            response = self.runtime.invoke(route.function, event)
        except FunctionInitError as exc:
            log.error("%s", exc)
            return self._gateway_response("DEFAULT_5XX", request)
        except Exception:
            log.error("%s raised\n%s", route.function, traceback.format_exc())
            return self._gateway_response("DEFAULT_5XX", request)
        if time.monotonic() - invoked > INTEGRATION_TIMEOUT_S:
            return self._gateway_response("INTEGRATION_TIMEOUT", request)
        return self._proxy_response(route, response, request)

    def _authorize(self, request: _Request, route: Route, params: dict[str, str]) -> _AuthorizerVerdict | GatewayResult:
        authorizer = self.model.authorizers[route.authorizer or ""]
        query_names = {name for name, _ in request.query}
        if any(not request.header(name) for name in authorizer.identity_headers) or any(
            name not in query_names for name in authorizer.identity_query
        ):
            return self._gateway_response("UNAUTHORIZED", request)  # API Gateway does not even call it
        event = _authorizer_event(request, route, params, self.model.stage, authorizer)
        try:
            result = self.runtime.invoke(authorizer.function, event)
        except FunctionInitError as exc:
            log.error("%s", exc)
            return self._gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return self._gateway_response("UNAUTHORIZED", request)
            # The type only: an authorizer's error message may quote the credential it was given.
            log.error("authorizer %s failed: %s", authorizer.name, type(exc).__name__)
            return self._gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request)
        try:
            verdict = evaluate_policy(result, event["methodArn"])
        except _PolicyError as exc:
            log.error("authorizer %s returned an invalid policy: %s", authorizer.name, exc)
            return self._gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request)
        if not verdict.allowed:
            denied = {**verdict.context, "principalId": verdict.principal or ""}
            return self._gateway_response("ACCESS_DENIED", request, denied)
        return verdict

    def _proxy_response(self, route: Route, response: Any, request: _Request) -> GatewayResult:
        status = response.get("statusCode") if isinstance(response, dict) else None
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or not 100 <= status <= 599:
            log.error("%s returned a malformed Lambda proxy response (no valid statusCode)", route.function)
            return self._gateway_response("DEFAULT_5XX", request)
        headers = Headers([])
        multi = {key.lower(): (key, values) for key, values in (response.get("multiValueHeaders") or {}).items()}
        for key, value in (response.get("headers") or {}).items():
            if key.lower() not in multi:
                headers.add_header(key, str(value))
        for key, values in multi.values():
            for value in values:
                headers.add_header(key, str(value))
        if headers.get("Content-Type") is None:
            headers["Content-Type"] = "application/json"  # what REST proxy integrations default to
        raw = response.get("body") or ""
        body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode("utf-8")
        return GatewayResult(status, headers, body)

    # -- CORS preflight --

    def _preflight_route(self, request: _Request) -> GatewayResult:
        sibling = next((route for route in self.model.routes if route.match(request.raw_path) is not None), None)
        if sibling is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", request)
        if self.model.cors is not None and self.model.authorize_preflight:
            # SAM puts the default authorizer on its generated OPTIONS methods unless told not to: a browser
            # preflight (which never carries credentials) then fails deployed, so it fails here too.
            route = replace(sibling, method="OPTIONS", authorizer=self.model.default_authorizer)
            outcome = self._authorize(request, route, sibling.match(request.raw_path) or {})
            if isinstance(outcome, GatewayResult):
                return outcome
        return self._preflight(request)

    def _preflight(self, request: _Request) -> GatewayResult:
        cors = self.model.cors
        headers = Headers([])
        origin = request.header("Origin")
        allow_origin = _unquote(cors.allow_origin) if cors else None
        if allow_origin is not None:
            headers["Access-Control-Allow-Origin"] = allow_origin  # what the deployed mock integration sends
        elif origin and origin in self.cors_origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Vary"] = "Origin"
        if headers.get("Access-Control-Allow-Origin") is not None:
            methods = _unquote(cors.allow_methods) if cors else None
            if methods is None:
                declared = self.model.methods_for(request.raw_path)
                methods = ",".join(_ALL_METHODS if "ANY" in declared else sorted({*declared, "OPTIONS"}))
            headers["Access-Control-Allow-Methods"] = methods
            allow_headers = _unquote(cors.allow_headers) if cors else _FALLBACK_PREFLIGHT_HEADERS
            if allow_headers:
                headers["Access-Control-Allow-Headers"] = allow_headers
            max_age = _unquote(cors.max_age) if cors else None
            if max_age:
                headers["Access-Control-Max-Age"] = max_age
            if cors and cors.allow_credentials:
                headers["Access-Control-Allow-Credentials"] = "true"
        headers["Content-Type"] = "application/json"
        return GatewayResult(200, headers, b"{}\n")  # the body of SAM's mock integration

    # -- gateway responses --

    def _gateway_response(
        self, kind: str, request: _Request, authorizer: dict[str, str] | None = None
    ) -> GatewayResult:
        builtin = _RESPONSE_TYPES[kind]
        # An uncustomised type takes its family's templates and headers but keeps its own status code.
        specific = self.model.gateway_responses.get(kind)
        custom = specific or self.model.gateway_responses.get("DEFAULT_5XX" if builtin.status >= 500 else "DEFAULT_4XX")
        status = specific.status if specific is not None and specific.status is not None else builtin.status
        variables = {
            "error.message": builtin.message or "",
            "error.messageString": json.dumps(builtin.message) if builtin.message is not None else "null",
            "error.responseType": kind,
            "requestId": request.request_id,
            "extendedRequestId": request.request_id,
            "stage": self.model.stage,
            "httpMethod": request.method,
            "path": f"/{self.model.stage}{request.raw_path}",
            "identity.sourceIp": request.source_ip,
            "apiId": API_ID,
            "accountId": ACCOUNT,
            **{f"authorizer.{key}": value for key, value in (authorizer or {}).items()},
        }
        headers = Headers([])
        template = None
        if custom is not None:
            template = custom.templates.get("application/json") or next(iter(custom.templates.values()), None)
            for name, expression in custom.headers.items():
                value = _mapping_value(expression, request, variables)
                if value is not None:
                    headers[name] = value
        if template is None:
            body = json.dumps({"message": builtin.message})
        else:
            body = _CONTEXT_VARIABLE.sub(lambda match: variables.get(match.group(1) or match.group(2), ""), template)
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = builtin.error_type
        return GatewayResult(status, headers, body.encode("utf-8"))


def _json_error(status: int, detail: str) -> GatewayResult:
    return GatewayResult(
        status, Headers([("Content-Type", "application/json")]), json.dumps({"detail": detail}).encode()
    )


def _unquote(expression: str | None) -> str | None:
    """The value of a literal mapping expression "'value'"; None for anything else."""
    if expression is None:
        return None
    text = str(expression).strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else None


def _mapping_value(expression: str, request: _Request, variables: dict[str, str]) -> str | None:
    literal = _unquote(expression)
    if literal is not None:
        return literal
    for prefix in ("method.request.header.", "method.request.multivalueheader."):
        if expression.startswith(prefix):
            return request.header(expression[len(prefix) :])
    if expression.startswith("method.request.querystring."):
        values = [value for key, value in request.query if key == expression.split(".", 3)[3]]
        return values[-1] if values else None
    if expression.startswith("context."):
        return variables.get(expression[len("context.") :])
    return None


# --- HTTP -----------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: GatewayServer
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True  # the unread body would be taken for the next request
            self.send_error(411, "Length Required")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self.send_error(400, "Bad Content-Length")
            return
        body = self.rfile.read(length) if length > 0 else None
        # The dashboard's files and local sign-in (make run only) before the API, which owns every other path.
        site = self.server.site
        result = site.serve(self.command, self.path, body) if site is not None else None
        if result is None:
            result = self.server.gateway.invoke(
                self.command, self.path, list(self.headers.items()), body, source_ip=self.client_address[0]
            )
        self.send_response_only(result.status)
        self.send_header("Date", self.date_time_string())
        for name, value in result.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        payload = b"" if self.command == "HEAD" else result.body
        self.send_header("Content-Length", str(len(result.body)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (431 for a header line over 64 KB or more than 100 headers, 414, 400, ...)
        in the API's error shape instead of an HTML page; the connection is closed as http.server does."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        body = json.dumps({"detail": f"{phrase}: {message}" if message and message != phrase else phrase}).encode()
        self.send_response_only(code)
        self.send_header("Date", self.date_time_string())
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) goes through the pipeline as well, where no route matches it:
        # the MISSING_AUTHENTICATION_TOKEN response, as API Gateway answers, not http.server's HTML 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        # The gateway's access log already covers requests; this one would print query strings.
        return


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Gateway, site: DashboardSite | None = None) -> None:
        self.gateway = gateway
        self.site = site
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def invoke(self, method: str, path: str, headers: Any = None, body: bytes | str | None = None) -> GatewayResult:
        return self.gateway.invoke(method, path, headers, body)

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="local-gateway", daemon=True)
        thread.start()
        return thread


def make_server(
    host: str,
    port: int,
    template_path: Path,
    repo_root: Path,
    *,
    cors_origins: list[str] | None = None,
    parameter_overrides: dict[str, str] | None = None,
    site: DashboardSite | None = None,
) -> GatewayServer:
    """A gateway for template_path bound to host:port (0: any free port); call serve_forever or serve_in_thread.
    With `site`, it also serves the dashboard (local/dashboard_site.py) on the paths the API does not use."""
    gateway = Gateway(template_path, repo_root, cors_origins=cors_origins, parameter_overrides=parameter_overrides)
    return GatewayServer((host, port), gateway, site)
