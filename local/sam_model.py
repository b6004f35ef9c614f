"""What the local gateway serves, read from template.yaml so local routing and the deployed API cannot drift.

From the (single) AWS::Serverless::Api and the functions' `Api` events: routes (method, path with {param}
and {proxy+} parameters, function, authorizer), the Lambda authorizers, the GatewayResponses and the Cors
setting. From the functions and Globals: code directory, handler, timeout, memory, literal env variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.cfn import UNRESOLVED, Resolver, load_template, ref_target

SERVERLESS_API = "AWS::Serverless::Api"
SERVERLESS_FUNCTION = "AWS::Serverless::Function"
NO_AUTHORIZER = "NONE"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str  # module.attribute, e.g. app.lambda_handler
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]  # literal values only: the others name deployed resources

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str  # logical id of the authorizer function
    payload_type: str  # REQUEST or TOKEN
    # Identity sources: when one is missing API Gateway answers 401 without calling the authorizer.
    identity_headers: tuple[str, ...] = ()
    identity_query: tuple[str, ...] = ()


def _authorizer(name: str, spec: dict[str, Any], function: str) -> Authorizer:
    payload_type = str(spec.get("FunctionPayloadType") or "TOKEN")
    identity = spec.get("Identity") or {}
    if payload_type == "TOKEN":
        return Authorizer(
            name, function, payload_type, identity_headers=(str(identity.get("Header") or "Authorization"),)
        )
    return Authorizer(
        name,
        function,
        payload_type,
        identity_headers=tuple(str(header) for header in identity.get("Headers") or ()),
        identity_query=tuple(str(query) for query in identity.get("QueryStrings") or ()),
    )


@dataclass(frozen=True)
class Route:
    method: str  # upper case; ANY matches every method
    resource: str  # the template path, e.g. /api/v1/analytics/export/{id}/download
    function: str
    authorizer: str | None  # None: no authorizer on this route
    event: str
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    # Sort key, API Gateway's precedence: literal segments before {param}, {param} before {proxy+}.
    specificity: tuple[int, ...] = field(compare=False, repr=False)

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class GatewayResponse:
    status: int | None
    templates: dict[str, str]  # content type -> mapping template
    headers: dict[str, str]  # header -> mapping expression ('literal', method.request.header.X, context.Y)


@dataclass(frozen=True)
class Cors:
    """The API's Cors setting; values are mapping expressions as written ("'Authorization,Content-Type'")."""

    allow_origin: str | None
    allow_headers: str | None
    allow_methods: str | None
    max_age: str | None
    allow_credentials: bool


@dataclass(frozen=True)
class ApiModel:
    api_id: str
    stage: str
    functions: dict[str, FunctionSpec]
    routes: list[Route]
    authorizers: dict[str, Authorizer]
    gateway_responses: dict[str, GatewayResponse]
    cors: Cors | None
    default_authorizer: str | None
    authorize_preflight: bool

    def find_route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method not in (method, "ANY"):
                continue
            params = route.match(path)
            if params is not None:
                return route, params
        return None

    def methods_for(self, path: str) -> list[str]:
        return sorted({route.method for route in self.routes if route.match(path) is not None})


def _compile(resource: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    parts: list[str] = []
    rank: list[int] = []
    for segment in resource.strip("/").split("/"):
        greedy = re.fullmatch(r"\{([A-Za-z0-9_]+)\+\}", segment)
        param = re.fullmatch(r"\{([A-Za-z0-9_]+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
            rank.append(2)
        elif param:
            parts.append(f"(?P<{param.group(1)}>[^/]+)")
            rank.append(1)
        else:
            parts.append(re.escape(segment))
            rank.append(0)
    return re.compile("/" + "/".join(parts)), tuple(rank)


def _literal(value: Any) -> str | None:
    """A resolved scalar as CloudFormation would stringify it; None for anything unresolved or structured."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else None


def _function(logical_id: str, props: dict[str, Any], globals_: dict[str, Any], repo_root: Path) -> FunctionSpec | None:
    """The function's local code, or None when it has none here (InlineCode, an S3 CodeUri, an image)."""
    merged = {**globals_, **props}
    code_uri = merged.get("CodeUri")
    if not isinstance(code_uri, str):
        return None
    variables = {
        **((globals_.get("Environment") or {}).get("Variables") or {}),
        **((props.get("Environment") or {}).get("Variables") or {}),
    }
    environment = {name: text for name, value in variables.items() if (text := _literal(value)) is not None}
    return FunctionSpec(
        logical_id=logical_id,
        code_dir=(repo_root / code_uri).resolve(),
        handler=str(merged.get("Handler") or "app.lambda_handler"),
        timeout_s=int(merged.get("Timeout") or 3),
        memory_mb=int(merged.get("MemorySize") or 128),
        environment=environment,
    )


def _gateway_responses(raw: Any) -> dict[str, GatewayResponse]:
    responses: dict[str, GatewayResponse] = {}
    for name, spec in (raw or {}).items():
        if not isinstance(spec, dict):
            continue
        status = _literal(spec.get("StatusCode"))
        parameters = spec.get("ResponseParameters") or {}
        headers = {key: text for key, value in (parameters.get("Headers") or {}).items() if (text := _literal(value))}
        templates = {
            key: text for key, value in (spec.get("ResponseTemplates") or {}).items() if (text := _literal(value))
        }
        responses[name] = GatewayResponse(status=int(status) if status else None, templates=templates, headers=headers)
    return responses


def _cors(raw: Any) -> Cors | None:
    if raw is None or raw is UNRESOLVED:
        return None
    if isinstance(raw, str):
        return Cors(allow_origin=raw, allow_headers=None, allow_methods=None, max_age=None, allow_credentials=False)
    return Cors(
        allow_origin=_literal(raw.get("AllowOrigin")),
        allow_headers=_literal(raw.get("AllowHeaders")),
        allow_methods=_literal(raw.get("AllowMethods")),
        max_age=_literal(raw.get("MaxAge")),
        allow_credentials=bool(raw.get("AllowCredentials")),
    )


def environment_parameters(template: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Parameter values the local environment already holds.

    A function variable defined as `VAR: !Ref Param` means: deployed, $VAR is Param. So locally a set $VAR
    is the value of Param, and everything else that uses Param (CORS origins in the gateway responses,
    say) follows the same local value, as it would in a stack deployed with that parameter.
    """
    parameters = template.get("Parameters") or {}
    sources = [(template.get("Globals") or {}).get("Function") or {}]
    sources += [
        resource.get("Properties") or {}
        for resource in (template.get("Resources") or {}).values()
        if resource.get("Type") == SERVERLESS_FUNCTION
    ]
    found: dict[str, str] = {}
    defaults = Resolver(template, {})
    for properties in sources:
        for name, value in ((properties.get("Environment") or {}).get("Variables") or {}).items():
            # `VAR: !If [Cond, …, !Ref Param]` binds Param too when Cond is false by default (the dashboard's
            # CORS origin joins CORS_ALLOWED_ORIGINS only in a stack deployed with DeployDashboard=true).
            if isinstance(value, dict) and isinstance(value.get("Fn::If"), list) and len(value["Fn::If"]) == 3:
                condition, when_true, when_false = value["Fn::If"]
                value = when_true if defaults.condition(condition) else when_false
            target = ref_target(value) if isinstance(value, dict) and "Ref" in value else None
            if target is not None and target in parameters and environ.get(name) and target not in found:
                found[target] = environ[name]
    return found


def load_api_model(
    template_path: Path,
    repo_root: Path,
    overrides: dict[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ApiModel:
    """The API of template_path; parameters: Default < the local environment (see above) < overrides."""
    template = load_template(template_path)
    resolver = Resolver(template, {**environment_parameters(template, environ or {}), **(overrides or {})})
    resources: dict[str, Any] = template.get("Resources") or {}
    apis = [logical_id for logical_id, res in resources.items() if res.get("Type") == SERVERLESS_API]
    if len(apis) != 1:
        raise ValueError(f"expected exactly one {SERVERLESS_API} in {template_path}, found {apis or 'none'}")
    api_id = apis[0]
    api = resolver.resolve(resources[api_id].get("Properties") or {})
    auth = api.get("Auth") or {}
    default_authorizer = auth.get("DefaultAuthorizer")
    # FunctionArn is a !GetAtt, which resolves to nothing locally: read the authorizers unresolved.
    authorizers = {
        name: _authorizer(name, spec, target)
        for name, spec in (resources[api_id]["Properties"].get("Auth", {}).get("Authorizers") or {}).items()
        if (target := ref_target(spec.get("FunctionArn"))) is not None
    }
    if default_authorizer is not None and default_authorizer not in authorizers:
        raise ValueError(f"DefaultAuthorizer {default_authorizer!r} is not a Lambda authorizer of {api_id}")

    globals_ = resolver.resolve((template.get("Globals") or {}).get("Function") or {})
    functions: dict[str, FunctionSpec] = {}
    routes: list[Route] = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        raw_props = resource.get("Properties") or {}
        props = resolver.resolve({key: value for key, value in raw_props.items() if key != "Events"})
        function = _function(logical_id, props, globals_, repo_root)
        if function is not None:
            functions[logical_id] = function
        for event_name, event in (raw_props.get("Events") or {}).items():
            if event.get("Type") != "Api":
                continue
            event_props = event.get("Properties") or {}
            if ref_target(event_props.get("RestApiId")) != api_id:
                continue  # another (or SAM's implicit) API: not served here
            event_auth = (event_props.get("Auth") or {}).get("Authorizer", default_authorizer)
            path = str(resolver.resolve(event_props["Path"]))
            pattern, rank = _compile(path)
            routes.append(
                Route(
                    method=str(resolver.resolve(event_props["Method"])).upper(),
                    resource=path,
                    function=logical_id,
                    authorizer=None if event_auth in (None, NO_AUTHORIZER) else str(event_auth),
                    event=event_name,
                    pattern=pattern,
                    specificity=rank,
                )
            )
    # Most specific path first; for the same path an exact method before ANY.
    routes.sort(key=lambda route: (route.specificity, route.method == "ANY"))
    for route in routes:
        if route.function not in functions:
            raise ValueError(f"{route.function} serves {route.method} {route.resource} but has no local CodeUri")
        if route.authorizer is not None and route.authorizer not in authorizers:
            raise ValueError(f"route {route.method} {route.resource} uses unknown authorizer {route.authorizer!r}")
    for authorizer in authorizers.values():
        if authorizer.function not in functions:
            raise ValueError(f"authorizer {authorizer.name} points at {authorizer.function}, not a function here")

    stage = api.get("StageName")
    return ApiModel(
        api_id=api_id,
        stage=_literal(stage) or "api",
        functions=functions,
        routes=routes,
        authorizers=authorizers,
        gateway_responses=_gateway_responses(api.get("GatewayResponses")),
        cors=_cors(api.get("Cors")),
        default_authorizer=default_authorizer,
        authorize_preflight=bool(auth.get("AddDefaultAuthorizerToCorsPreflight", True))
        and default_authorizer is not None,
    )
