"""Session tokens and the authorizer's decisions, without any network or database."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from aurion.auth.roles import READ_ROLES
from aurion.auth.tokens import issue_token, verify_token
from aurion.authorizer import authorize
from aurion.errors import Unauthorized

SECRET = "unit-test-secret-0123456789abcdef-0123456789"
TENANT = str(uuid.uuid4())
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/api/GET/api/v2/analytics/conversations/teams"


def event(headers: dict[str, str]) -> dict:
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", sorted(READ_ROLES))
def test_every_read_role_is_allowed_on_the_whole_api_with_its_context(role: str) -> None:
    # Given a valid session token for a read role
    token = issue_token(SECRET, user_id="user-1", tenant_id=TENANT, role=role)
    # When the authorizer sees it
    policy = authorize(event(bearer(token)), SECRET)
    # Then it allows the whole API and hands the function the tenant, user and role
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == ["arn:aws:execute-api:eu-west-1:123456789012:abc123/api/*/*"]
    assert policy["context"] == {"tenant_id": TENANT, "user_id": "user-1", "role": role}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-jwt"},
    ],
    ids=["missing", "empty", "bearer-without-token", "basic-scheme", "garbled"],
)
def test_requests_without_a_usable_session_are_unauthorized(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthorized):
        authorize(event(headers), SECRET)


def test_a_token_signed_with_another_secret_is_unauthorized() -> None:
    forged = issue_token("another-secret-0123456789abcdef-0123456789", user_id="u", tenant_id=TENANT, role="agent")
    with pytest.raises(Unauthorized):
        authorize(event(bearer(forged)), SECRET)


def test_an_expired_token_is_unauthorized() -> None:
    expired = jwt.encode(
        {"sub": "u", "tenant_id": TENANT, "role": "agent", "exp": int(time.time()) - 5}, SECRET, algorithm="HS256"
    )
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(SECRET, expired)


def test_a_token_missing_a_required_claim_is_unauthorized() -> None:
    no_tenant = jwt.encode({"sub": "u", "role": "agent", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized):
        verify_token(SECRET, no_tenant)


def test_an_unsigned_token_is_unauthorized() -> None:
    unsigned = jwt.encode(
        {"sub": "u", "tenant_id": TENANT, "role": "agent", "exp": int(time.time()) + 60}, None, algorithm="none"
    )
    with pytest.raises(Unauthorized):
        verify_token(SECRET, unsigned)


def test_an_unknown_role_is_denied_with_a_reason() -> None:
    token = issue_token(SECRET, user_id="u", tenant_id=TENANT, role="billing_bot")
    policy = authorize(event(bearer(token)), SECRET)
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert policy["context"]["detail"]


def test_an_api_key_without_a_session_is_denied_not_unauthorized() -> None:
    policy = authorize(event({"X-API-Key": "itsm_sk_live_xxxx"}), SECRET)
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "API key" in policy["context"]["detail"]


def test_header_names_are_case_insensitive() -> None:
    token = issue_token(SECRET, user_id="u", tenant_id=TENANT, role="agent")
    policy = authorize(event({"authorization": f"bearer {token}"}), SECRET)
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
