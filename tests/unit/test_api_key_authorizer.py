"""The authorizer's API-key decisions and the key format, without a database (the lookup is a stand-in)."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from aurion.api_keys.authentication import ApiKeyIdentity
from aurion.api_keys.keys import KEY_PREFIX, hash_key, looks_like_key, mint_key
from aurion.api_keys.scope import API_KEY_ROUTES
from aurion.auth.caller import Caller
from aurion.auth.tokens import issue_token
from aurion.authorizer import API_KEY_DETAIL, API_KEY_ROUTE_DETAIL, authorize
from aurion.logs import scrub
from local.sam_model import load_api_model
from tests.support.database import REPO

SECRET = "unit-test-secret-0123456789abcdef-0123456789"
TENANT = str(uuid.uuid4())
KEY_ID = str(uuid.uuid4())
ARN_BASE = "arn:aws:execute-api:eu-west-1:123456789012:abc123/api"
# The functions whose routes are the spec's read analytics endpoints.
READ_FUNCTIONS = {
    "ConversationAnalyticsFunction",
    "UnifiedOverviewFunction",
    "VoiceAnalyticsFunction",
    "CallSearchFunction",
}


def key_event(method: str, resource: str, key: str) -> dict:
    return {
        "type": "REQUEST",
        "methodArn": f"{ARN_BASE}/{method}{resource}",
        "httpMethod": method,
        "resource": resource,
        "path": resource,
        "headers": {"X-API-Key": key},
    }


def lookup_finding(key: str):
    """A lookup that knows exactly one live key."""

    def find(candidate: str) -> ApiKeyIdentity | None:
        if candidate != key:
            return None
        return ApiKeyIdentity(key_id=KEY_ID, tenant_id=TENANT, role="tenant_readonly")

    return find


def test_a_live_key_on_a_read_route_is_allowed_read_only_on_the_read_routes_alone():
    # Given a live key
    key = mint_key().key
    # When it calls the teams route
    policy = authorize(key_event("GET", "/api/v2/analytics/conversations/teams", key), SECRET, lookup_finding(key))
    # Then the policy allows the read routes (and only those) with a read-only, key-marked context
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Resource"]) == sorted(f"{ARN_BASE}/{m}{p}" for m, p in API_KEY_ROUTES)
    assert policy["context"] == {
        "tenant_id": TENANT,
        "user_id": f"api_key:{KEY_ID}",
        "role": "tenant_readonly",
        "auth": "api_key",
        "key_id": KEY_ID,
    }
    # And the functions see an API-key caller
    caller = Caller.from_request_context({"authorizer": policy["context"]})
    assert caller.api_key_id == KEY_ID


@pytest.mark.parametrize(
    ("method", "resource"),
    [
        ("POST", "/api/v1/analytics/export"),
        ("GET", "/api/v1/analytics/exports"),
        ("GET", "/api/v1/analytics/export/{export_id}/download"),
        ("GET", "/api/v1/analytics/export-schedules"),
        ("GET", "/api/v2/analytics/api-keys"),
        ("POST", "/api/v2/analytics/api-keys"),
        ("PUT", "/api/v2/analytics/api-keys/access"),
        ("DELETE", "/api/v2/analytics/api-keys/{key_id}"),
    ],
)
def test_a_live_key_is_denied_on_exports_and_on_the_api_key_admin_routes(method, resource):
    key = mint_key().key
    policy = authorize(key_event(method, resource, key), SECRET, lookup_finding(key))
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert policy["context"] == {"detail": API_KEY_ROUTE_DETAIL}


def test_an_unknown_key_gets_the_same_deny_as_before_api_keys_existed():
    known = mint_key().key
    policy = authorize(
        key_event("GET", "/api/v2/analytics/conversations/teams", mint_key().key), SECRET, lookup_finding(known)
    )
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert policy["context"] == {"detail": API_KEY_DETAIL}


def test_without_a_key_lookup_every_key_is_denied():
    key = mint_key().key
    policy = authorize(key_event("GET", "/api/v2/analytics/conversations/teams", key), SECRET)
    assert policy["context"] == {"detail": API_KEY_DETAIL}


def test_a_session_wins_over_a_key_sent_with_it():
    # Given both a session and a key: the dashboard's rules apply, the key is not even looked up
    token = issue_token(SECRET, user_id="u-1", tenant_id=TENANT, role="tenant_admin")
    event = key_event("POST", "/api/v1/analytics/export", "anything")
    event["headers"]["Authorization"] = f"Bearer {token}"

    def no_lookup(_key: str) -> ApiKeyIdentity | None:
        raise AssertionError("a session request must not look up keys")

    policy = authorize(event, SECRET, no_lookup)
    assert policy["context"]["role"] == "tenant_admin"
    assert "auth" not in policy["context"]


def test_the_key_routes_are_exactly_the_templates_read_analytics_routes():
    # Given every route of template.yaml
    model = load_api_model(REPO / "template.yaml", REPO)
    routes = {(route.method, route.resource): route.function for route in model.routes}
    # Then keys reach every route of the read functions, and no other route
    read_routes = {route for route, function in routes.items() if function in READ_FUNCTIONS}
    assert set(API_KEY_ROUTES) == read_routes
    assert all(method == "GET" for method, _ in API_KEY_ROUTES)


def test_a_minted_key_has_the_public_format_a_visible_prefix_and_is_stored_as_its_sha256():
    minted = mint_key()
    assert minted.key.startswith(KEY_PREFIX)
    assert looks_like_key(minted.key)
    assert minted.key.startswith(minted.prefix)
    assert len(minted.prefix) == len(KEY_PREFIX) + 8
    assert minted.key_hash == hashlib.sha256(minted.key.encode()).hexdigest() == hash_key(minted.key)
    assert mint_key().key != minted.key


def test_a_key_never_survives_in_a_log_line():
    key = mint_key().key
    assert key not in scrub(f"looked at {key} and X-API-Key: {key}.")
