"""Generate docs/openapi.json from the route definitions of every function in template.yaml.

Each function's Powertools resolver already knows its routes, parameter types and response models;
this merges them into one document for the whole API. `python -m local.openapi --check` fails when the
committed document is stale, and when template.yaml and the functions disagree on the routes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from local.function_loader import import_function
from local.paths import REPO_ROOT, ensure_layer_on_path
from local.sam_model import load_api_model

OUTPUT = REPO_ROOT / "docs" / "openapi.json"
TITLE = "Aurion Analytics API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Conversation, SLA, CSAT, voice-call and export analytics of the AurionAI helpdesk. "
    "Every route accepts a dashboard session token (Authorization: Bearer …). The read routes also accept an "
    "X-API-Key of a tenant that enabled API-key access (300 requests per minute per key, docs/api-keys.md); "
    "otherwise a request with only an X-API-Key gets 403. See docs/metrics.md for the definition of every number."
)
# Importing a function validates its settings at cold start; nothing connects, so placeholders will do.
_IMPORT_ENV = {
    "AURION_DB_URL": "postgresql://openapi@127.0.0.1:1/openapi",
    "AURION_SESSION_SECRET": "openapi-generation-only-" + "x" * 16,
    "AWS_DEFAULT_REGION": "eu-west-1",
}


_KEY_LIMIT_HEADERS = {
    name: {"description": description, "schema": {"type": "integer" if name != "RateLimit" else "string"}}
    for name, description in (
        ("Retry-After", "Seconds until the key may call again"),
        ("X-RateLimit-Limit", "Requests allowed per minute per API key (300)"),
        ("X-RateLimit-Remaining", "Requests left in the moving minute"),
        ("RateLimit", "limit, remaining and reset (IETF draft)"),
    )
}


def _accept_api_keys(operation: dict[str, Any]) -> None:
    """A read route: a session or an API key, and the key's 429 (a route's own 429, the phone search's, stays)."""
    operation["security"] = [{"session": []}, {"apiKey": []}]
    operation.setdefault("responses", {}).setdefault(
        "429",
        {
            "description": "More than 300 requests in the last minute with this API key",
            "headers": _KEY_LIMIT_HEADERS,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"detail": {"type": "string"}, "limit": {"type": "integer"}},
                        "required": ["detail", "limit"],
                    }
                }
            },
        },
    )


V1 = "/api/v1/analytics"
V2 = "/api/v2/analytics"
# What a generated client calls each operation (Powertools would name them after the Python function and the path:
# metrics_api_v1_analytics_call_metrics_get), and the group it files it under (one module or class per tag).
OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("get", f"{V2}/conversations/overview"): ("getConversationOverview", "Conversations"),
    ("get", f"{V2}/conversations/sla-compliance"): ("getSlaCompliance", "Conversations"),
    ("get", f"{V2}/conversations/csat"): ("getCsatSummary", "Conversations"),
    ("get", f"{V2}/conversations/csat/responses"): ("listCsatResponses", "Conversations"),
    ("get", f"{V2}/conversations/resolution-rates"): ("getConversationResolutionRates", "Conversations"),
    ("get", f"{V2}/conversations/teams"): ("listTeams", "Conversations"),
    ("get", f"{V2}/conversations/insights"): ("getConversationInsights", "Conversations"),
    ("get", f"{V2}/conversations/aggregation-health"): ("getAggregationHealth", "Conversations"),
    ("get", f"{V2}/unified-overview"): ("getUnifiedOverview", "Unified overview"),
    ("get", f"{V1}/call-metrics"): ("getCallMetrics", "Voice"),
    ("get", f"{V1}/resolution-rates"): ("getCallResolutionRates", "Voice"),
    ("get", f"{V1}/usage-patterns"): ("getUsagePatterns", "Voice"),
    ("get", f"{V1}/search"): ("searchCalls", "Call search"),
    ("get", f"{V2}/api-keys/access"): ("getApiKeyAccess", "API keys"),
    ("put", f"{V2}/api-keys/access"): ("setApiKeyAccess", "API keys"),
    ("get", f"{V2}/api-keys"): ("listApiKeys", "API keys"),
    ("post", f"{V2}/api-keys"): ("createApiKey", "API keys"),
    ("delete", f"{V2}/api-keys/{{key_id}}"): ("revokeApiKey", "API keys"),
    ("post", f"{V1}/export"): ("createExport", "Exports"),
    ("get", f"{V1}/exports"): ("listExports", "Exports"),
    ("get", f"{V1}/exports/{{export_id}}"): ("getExport", "Exports"),
    ("post", f"{V1}/exports/{{export_id}}/cancel"): ("cancelExport", "Exports"),
    ("delete", f"{V1}/exports/{{export_id}}"): ("deleteExport", "Exports"),
    ("get", f"{V1}/export/{{export_id}}/download"): ("downloadExport", "Exports"),
    ("get", f"{V1}/export/{{export_id}}/link"): ("openExportDownloadLink", "Exports"),
    ("get", f"{V1}/export-schedules"): ("listExportSchedules", "Export schedules"),
    ("post", f"{V1}/export-schedules"): ("createExportSchedule", "Export schedules"),
    ("get", f"{V1}/export-schedules/{{schedule_id}}"): ("getExportSchedule", "Export schedules"),
    ("patch", f"{V1}/export-schedules/{{schedule_id}}"): ("updateExportSchedule", "Export schedules"),
    ("delete", f"{V1}/export-schedules/{{schedule_id}}"): ("deleteExportSchedule", "Export schedules"),
    ("post", f"{V1}/export-destinations"): ("createExportDestination", "Export destinations"),
    ("get", f"{V1}/export-destinations"): ("listExportDestinations", "Export destinations"),
    ("get", f"{V1}/export-destinations/{{destination_id}}"): ("getExportDestination", "Export destinations"),
    ("delete", f"{V1}/export-destinations/{{destination_id}}"): ("deleteExportDestination", "Export destinations"),
    ("post", f"{V1}/export-destinations/{{destination_id}}/verify"): ("verifyExportDestination", "Export destinations"),
    ("post", f"{V1}/export-destinations/{{destination_id}}/enable"): ("enableExportDestination", "Export destinations"),
    ("get", f"{V1}/export-destinations/{{destination_id}}/deliveries"): (
        "listExportDeliveries",
        "Export destinations",
    ),
    ("get", f"{V1}/imports"): ("listImports", "Imports"),
    ("get", f"{V1}/imports/{{import_id}}"): ("getImport", "Imports"),
}
TAGS = {
    "Conversations": "The dashboard's conversation views: volumes, SLA, CSAT, resolution, teams, insights",
    "Unified overview": "One view across every product the tenant has",
    "Voice": "Voice-call metrics in the caller's time zone",
    "Call search": "Calls by phone number (10 searches a minute per user, audited)",
    "API keys": "The tenant's public API keys and whether they are switched on (admin roles only)",
    "Exports": "CSV, JSON, Excel and PDF files of a date range (admin roles only)",
    "Export schedules": "Exports made and mailed on a schedule (admin roles only)",
    "Export destinations": (
        "Where finished exports are delivered: verified e-mail addresses and signed HTTPS webhooks, with their "
        "delivery log (admin roles only)"
    ),
    "Imports": "Where each bulk import of history stands: rows read, applied, rejected (admin roles only)",
}
# The spec's example of each answer, copied beside the contract tests (the project never reads ../shared).
SPEC_EXAMPLES = REPO_ROOT / "tests" / "contract" / "spec_examples"


# The fields this API adds to a spec shape (docs/exports.md: where an asynchronous export stands), so that the
# example still fits the schema: an export as the listing shows it right after it was created.
_EXAMPLE_ADDITIONS: dict[str, dict[str, dict[str, Any]]] = {
    "get_v1_analytics_exports": {
        "exports": {
            "status": "queued",
            "row_count": None,
            "size_bytes": None,
            "error": None,
            "failure_reason": None,
            "rows_written": None,
            "progress_at": None,
            "percent": None,
            "estimated_finish_at": None,
        }
    },
}


def _spec_example(path: Path) -> Any:
    example = json.loads(path.read_text())
    for key, added in _EXAMPLE_ADDITIONS.get(path.stem, {}).items():
        example[key] = [{**item, **added} for item in example[key]]
    return example


def _example_name(method: str, path: str) -> str:
    """get /api/v2/analytics/conversations/csat -> get_v2_analytics_conversations_csat (the examples' file names)."""
    return f"{method}_{path.removeprefix('/api/').replace('/', '_').replace('-', '_')}"


def _name_operations(paths: dict[str, Any]) -> list[str]:
    """operationId, tag and the spec's response example on every operation; what is missing, as problems."""
    problems = []
    examples = {path.stem: path for path in sorted(SPEC_EXAMPLES.glob("*.json"))}
    for path, operations in paths.items():
        for method, operation in operations.items():
            if (method, path) not in OPERATIONS:
                problems.append(f"{method.upper()} {path} has no operationId and tag in local/openapi.py OPERATIONS")
                continue
            operation["operationId"], tag = OPERATIONS[(method, path)]
            operation["tags"] = [tag]
            example = examples.pop(_example_name(method, path), None)
            if example is not None:
                success = min(code for code in operation["responses"] if code.startswith("2"))
                media = operation["responses"][success].setdefault("content", {}).setdefault("application/json", {})
                media["example"] = _spec_example(example)
    problems += [f"{name}.json in tests/contract/spec_examples names no operation" for name in examples]
    return problems


def build_document() -> tuple[dict[str, Any], list[str]]:
    """The merged OpenAPI document, and every disagreement between template.yaml and the functions."""
    ensure_layer_on_path()
    from aurion.api_keys.scope import API_KEY_ROUTES

    for key, value in _IMPORT_ENV.items():
        os.environ.setdefault(key, value)
    model = load_api_model(REPO_ROOT / "template.yaml", REPO_ROOT)
    template_routes = {(route.method.lower(), route.resource) for route in model.routes}
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    problems: list[str] = []
    from aurion.responses import add_common_errors  # the layer is on the path only now

    for logical_id in sorted({route.function for route in model.routes}):
        function = model.functions[logical_id]
        module = import_function(function.module_path, logical_id)
        document = add_common_errors(
            module.app.get_openapi_schema(title=TITLE, version=VERSION).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
        )
        for path, operations in document.get("paths", {}).items():
            for method in operations:
                if (method, path) not in template_routes:
                    problems.append(f"{logical_id} serves {method.upper()} {path}, which template.yaml does not route")
            paths.setdefault(path, {}).update(operations)
        schemas.update(document.get("components", {}).get("schemas", {}))
    for method, path in API_KEY_ROUTES:
        if method.lower() in paths.get(path, {}):
            _accept_api_keys(paths[path][method.lower()])
    for route in model.routes:
        if route.authorizer is None and route.method.lower() in paths.get(route.resource, {}):
            # A route without the authorizer (the delivered download link): its query token is the credential.
            paths[route.resource][route.method.lower()]["security"] = []
    problems += _name_operations(paths)
    served = {(method, path) for path, operations in paths.items() for method in operations}
    problems += [f"template.yaml routes {m.upper()} {p} to a function without it" for m, p in template_routes - served]
    document = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make run"}],
        "tags": [{"name": name, "description": description} for name, description in TAGS.items()],
        "security": [{"session": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "session": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
    return document, sorted(problems)


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is stale")
    args = parser.parse_args()
    document, problems = build_document()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    text = render(document)
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print("docs/openapi.json is stale: run `make openapi`", file=sys.stderr)
            sys.exit(1)
    else:
        OUTPUT.write_text(text)
        print(f"wrote {OUTPUT.relative_to(REPO_ROOT)} ({len(document['paths'])} paths)")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
