"""GET /api/v2/analytics/conversations/teams through the conversation_analytics handler."""

from __future__ import annotations

import pytest

from aurion.auth.roles import READ_ROLES
from tests.support.api import caller_for, get

TEAMS = "/api/v2/analytics/conversations/teams"


@pytest.mark.parametrize("role", sorted(READ_ROLES))
def test_every_read_role_lists_its_own_tenants_teams_in_the_spec_shape(functions, build, role):
    # Given a tenant with two teams and another tenant with one
    tenant = build.tenant()
    tier1 = build.team(tenant, "Tier 1")
    billing = build.team(tenant, "Billing")
    build.team(build.tenant(), "Other tenant's team")
    # When a caller of that tenant lists the teams
    response = get(functions("conversation_analytics"), TEAMS, caller_for(tenant, role))
    # Then exactly its teams come back, sorted by name, with the spec's keys
    assert response.status == 200
    assert response.body == {
        "teams": [
            {"team_id": str(billing), "team_name": "Billing"},
            {"team_id": str(tier1), "team_name": "Tier 1"},
        ]
    }


def test_a_tenant_without_teams_gets_an_empty_list(functions, build):
    tenant = build.tenant()
    response = get(functions("conversation_analytics"), TEAMS, caller_for(tenant))
    assert response.status == 200
    assert response.body == {"teams": []}


def test_a_starter_plan_tenant_is_refused_by_the_plan_gate(functions, build):
    # Given a Starter tenant (analytics needs Professional or higher)
    tenant = build.tenant(plan="starter")
    build.team(tenant, "Tier 1")
    # When its admin asks for teams
    response = get(functions("conversation_analytics"), TEAMS, caller_for(tenant))
    # Then the plan gate answers 403 with a detail
    assert response.status == 403
    assert "Professional" in response.body["detail"]


def test_an_enterprise_tenant_passes_the_plan_gate(functions, build):
    tenant = build.tenant(plan="enterprise")
    response = get(functions("conversation_analytics"), TEAMS, caller_for(tenant))
    assert response.status == 200


def test_a_role_outside_the_read_list_is_forbidden_even_if_it_reached_the_function(functions, build):
    tenant = build.tenant()
    response = get(functions("conversation_analytics"), TEAMS, caller_for(tenant, role="billing_bot"))
    assert response.status == 403
    assert set(response.body) == {"detail"}


def test_a_request_without_authorizer_context_fails_closed(functions):
    response = get(functions("conversation_analytics"), TEAMS, caller=None)  # type: ignore[arg-type]
    assert response.status == 401


def test_unknown_query_parameters_are_ignored(functions, build):
    tenant = build.tenant()
    response = get(functions("conversation_analytics"), TEAMS + "?foo=bar", caller_for(tenant))
    assert response.status == 200


def test_responses_carry_cors_headers_for_an_allowed_origin(functions, build):
    tenant = build.tenant()
    response = get(
        functions("conversation_analytics"), TEAMS, caller_for(tenant), headers={"Origin": "https://app.example.com"}
    )
    assert response.header("Access-Control-Allow-Origin") == "https://app.example.com"
