"""docs/openapi.json is generated from the route definitions and must never go stale."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from jsonschema import Draft202012Validator

from tests.support.database import REPO


def test_the_committed_openapi_document_matches_the_routes_and_the_template():
    # A subprocess: generation imports every function with placeholder settings, which must not leak here.
    result = subprocess.run(
        [sys.executable, "-m", "local.openapi", "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_document_declares_typed_query_parameters_and_response_models():
    document = json.loads((REPO / "docs" / "openapi.json").read_text())
    drilldown = document["paths"]["/api/v2/analytics/conversations/csat/responses"]["get"]
    limit = next(p for p in drilldown["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"], limit["schema"]["default"]) == (1, 200, 50)
    assert "CsatResponsesPage" in document["components"]["schemas"]


def _holds(document: object, spec: object) -> bool:
    """Whether document is the spec's value, or the spec's object with fields added (lists item by item)."""
    if isinstance(spec, dict):
        return isinstance(document, dict) and all(k in document and _holds(document[k], v) for k, v in spec.items())
    if isinstance(spec, list):
        return isinstance(document, list) and len(document) == len(spec) and all(map(_holds, document, spec))
    return document == spec


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, operation) for path, ops in document["paths"].items() for method, operation in ops.items()]


def test_every_operation_has_a_readable_unique_operation_id_and_one_declared_tag():
    # Given the generated document, read as a client generator reads it
    document = json.loads((REPO / "docs" / "openapi.json").read_text())
    operations = _operations(document)
    ids = [operation["operationId"] for _, _, operation in operations]
    # Then each operation is named in camelCase (a method name, not metrics_api_v1_analytics_call_metrics_get), once
    assert [name for name in ids if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", name)] == []
    assert len(ids) == len(set(ids))
    # And files under one tag of the document's list, each tag used
    declared = [tag["name"] for tag in document["tags"]]
    assert all(len(operation["tags"]) == 1 and operation["tags"][0] in declared for _, _, operation in operations)
    assert {operation["tags"][0] for _, _, operation in operations} == set(declared)
    # And the names a client calls are the spec's words
    by_route = {(method, path): operation["operationId"] for method, path, operation in operations}
    assert by_route[("get", "/api/v2/analytics/conversations/overview")] == "getConversationOverview"
    assert by_route[("post", "/api/v1/analytics/export")] == "createExport"


def test_every_spec_example_is_its_operations_response_example_and_fits_the_response_schema():
    # Given the spec's examples (copies beside the contract tests) and the generated document
    document = json.loads((REPO / "docs" / "openapi.json").read_text())
    examples = sorted((REPO / "tests" / "contract" / "spec_examples").glob("*.json"))
    assert examples, "the spec's examples are missing"
    for example in examples:
        method, _, rest = example.stem.partition("_")
        matches = [
            operation
            for m, path, operation in _operations(document)
            if m == method and path.removeprefix("/api/").replace("/", "_").replace("-", "_") == rest
        ]
        # Then the operation it belongs to shows it (with the fields this API adds) as its success response's example
        assert len(matches) == 1, example.name
        [operation] = matches
        success = min(code for code in operation["responses"] if code.startswith("2"))
        media = operation["responses"][success]["content"]["application/json"]
        assert _holds(media["example"], json.loads(example.read_text())), example.name
        # And the example is valid against the schema the document declares for that response
        schema = {**media["schema"], "components": document["components"]}
        errors = [error.message for error in Draft202012Validator(schema).iter_errors(media["example"])]
        assert errors == [], example.name
