"""docs/openapi.json is generated from the route definitions and must never go stale."""

from __future__ import annotations

import json
import subprocess
import sys

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
