"""Every read endpoint answers exactly the spec's shape (tests/contract/spec_examples), for every read role.

The examples fix keys, nesting, lists versus objects and value types; the numbers are ours. A response
passes when every object has exactly the example's keys, every list item matches the example's first
item, and every leaf has the example's JSON type (null is accepted where the example holds a value:
averages of nothing are null by definition).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from aurion.auth.roles import READ_ROLES
from tests.integration.conversation_scenario import RANGE, build_scenario
from tests.support.api import caller_for, get
from tests.support.database import REPO

EXAMPLES = REPO / "tests" / "contract" / "spec_examples"
V1_RANGE = "start_date=2026-03-01&end_date=2026-03-08"
ROUTES = {
    "get_v2_analytics_conversations_overview": (
        "conversation_analytics",
        "/api/v2/analytics/conversations/overview",
        RANGE,
    ),
    "get_v2_analytics_conversations_sla_compliance": (
        "conversation_analytics",
        "/api/v2/analytics/conversations/sla-compliance",
        RANGE,
    ),
    "get_v2_analytics_conversations_csat": ("conversation_analytics", "/api/v2/analytics/conversations/csat", RANGE),
    "get_v2_analytics_conversations_csat_responses": (
        "conversation_analytics",
        "/api/v2/analytics/conversations/csat/responses",
        RANGE,
    ),
    "get_v2_analytics_conversations_resolution_rates": (
        "conversation_analytics",
        "/api/v2/analytics/conversations/resolution-rates",
        RANGE,
    ),
    "get_v2_analytics_conversations_teams": ("conversation_analytics", "/api/v2/analytics/conversations/teams", ""),
    "get_v2_analytics_conversations_insights": (
        "conversation_analytics",
        "/api/v2/analytics/conversations/insights",
        RANGE,
    ),
    "get_v2_analytics_conversations_aggregation_health": (
        "conversation_analytics",
        "/api/v2/analytics/conversations/aggregation-health",
        RANGE,
    ),
    "get_v2_analytics_unified_overview": ("unified_overview", "/api/v2/analytics/unified-overview", RANGE),
    "get_v1_analytics_call_metrics": ("voice_analytics", "/api/v1/analytics/call-metrics", V1_RANGE),
    "get_v1_analytics_resolution_rates": ("voice_analytics", "/api/v1/analytics/resolution-rates", V1_RANGE),
    "get_v1_analytics_usage_patterns": ("voice_analytics", "/api/v1/analytics/usage-patterns", V1_RANGE),
    "get_v1_analytics_search": ("call_search", "/api/v1/analytics/search", f"phone=5678&{V1_RANGE}"),
}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shape_errors(actual: Any, example: Any, path: str = "$") -> list[str]:
    if actual is None and example is not None and not isinstance(example, dict | list):
        return []
    if isinstance(example, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {json_type(actual)}"]
        errors = [f"{path}: missing {key}" for key in example.keys() - actual.keys()]
        errors += [f"{path}: extra {key}" for key in actual.keys() - example.keys()]
        for key in example.keys() & actual.keys():
            if example[key] is not None:
                errors += shape_errors(actual[key], example[key], f"{path}.{key}")
        return errors
    if isinstance(example, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {json_type(actual)}"]
        if not example:
            return []
        return [error for i, item in enumerate(actual) for error in shape_errors(item, example[0], f"{path}[{i}]")]
    if json_type(actual) != json_type(example):
        return [f"{path}: expected {json_type(example)}, got {json_type(actual)}"]
    return []


@pytest.fixture
def scenario(build):
    return build_scenario(build)


def test_every_get_example_of_the_spec_is_covered():
    examples = {path.stem for path in EXAMPLES.glob("get_*.json")} - {"get_v1_analytics_exports"}
    assert examples == set(ROUTES)


@pytest.mark.parametrize("example", sorted(ROUTES))
def test_the_response_has_the_spec_shape_with_data(functions, scenario, example):
    function, path, query = ROUTES[example]
    response = get(functions(function), f"{path}?{query}", caller_for(scenario.tenant, "tenant_readonly"))
    assert response.status == 200, response.body
    expected = json.loads((EXAMPLES / f"{example}.json").read_text())
    assert shape_errors(response.body, expected) == []
    assert response.body, "an empty body proves nothing"


@pytest.mark.parametrize("role", sorted(READ_ROLES))
@pytest.mark.parametrize("example", sorted(ROUTES))
def test_every_read_role_may_read_every_route(functions, build, example, role):
    function, path, query = ROUTES[example]
    tenant = build.tenant()
    assert get(functions(function), f"{path}?{query}", caller_for(tenant, role)).status == 200


@pytest.mark.parametrize("example", sorted(ROUTES))
def test_roles_outside_the_list_and_plans_below_professional_are_refused(functions, build, example):
    function, path, query = ROUTES[example]
    professional, starter = build.tenant(), build.tenant(plan="starter")
    unknown_role = get(functions(function), f"{path}?{query}", caller_for(professional, "billing_bot"))
    starter_plan = get(functions(function), f"{path}?{query}", caller_for(starter, "tenant_admin"))
    assert (unknown_role.status, starter_plan.status) == (403, 403)
    assert set(unknown_role.body) == set(starter_plan.body) == {"detail"}
