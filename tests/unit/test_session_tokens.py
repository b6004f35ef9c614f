"""Session tokens and the authorizer's decisions, without any network or database."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from aurion.auth.roles import READ_ROLES
from aurion.auth.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, MAX_LIFETIME_SECONDS, issue_token, verify_token
from aurion.authorizer import authorize
from aurion.errors import Unauthorized
from aurion.settings import Settings

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


def claims(**changes: object) -> dict[str, object]:
    """The claims of a valid token issued now, with `changes` (None removes a claim)."""
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "u", "tenant_id": TENANT, "role": "agent", "iss": DEFAULT_ISSUER, "aud": DEFAULT_AUDIENCE,
        "iat": now, "exp": now + 3600,
    }  # fmt: skip
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def test_an_expired_token_is_unauthorized() -> None:
    expired = jwt.encode(claims(exp=int(time.time()) - 5), SECRET, algorithm="HS256")
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


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": 10**30},  # the token of the adversarial pass (issue 13)
        {"iat": int(time.time()) - 60, "exp": int(time.time()) + MAX_LIFETIME_SECONDS},  # lives too long in all
        {"iat": int(time.time()) + 10**6, "exp": int(time.time()) + 10**6 + 60},  # short, but starts far ahead
        {"iat": None},
        {"iat": "yesterday"},
    ],
    ids=["exp-10e30", "lifetime-over-max", "issued-in-the-future", "no-iat", "text-iat"],
)
def test_a_token_that_would_live_past_the_maximum_lifetime_is_unauthorized(changes) -> None:
    # Given a correctly signed token whose lifetime is unbounded, too long, or cannot be told
    token = jwt.encode(claims(**changes), SECRET, algorithm="HS256")
    # When it is presented, then it is refused like a garbled one
    with pytest.raises(Unauthorized):
        authorize(event(bearer(token)), SECRET)


def test_a_token_of_the_maximum_lifetime_is_accepted() -> None:
    now = int(time.time())
    token = jwt.encode(claims(iat=now, exp=now + MAX_LIFETIME_SECONDS), SECRET, algorithm="HS256")
    assert verify_token(SECRET, token).user_id == "u"


@pytest.mark.parametrize(
    "changes",
    [{"iss": "someone-else"}, {"aud": "another-api"}, {"iss": None}, {"aud": None}, {"aud": ["another-api"]}],
    ids=["other-issuer", "other-audience", "no-issuer", "no-audience", "audience-list-without-ours"],
)
def test_a_token_issued_by_or_for_someone_else_is_unauthorized(changes) -> None:
    # Given a token signed with our secret but not issued by the dashboard for this API
    token = jwt.encode(claims(**changes), SECRET, algorithm="HS256")
    # Then the authorizer refuses it
    with pytest.raises(Unauthorized):
        authorize(event(bearer(token)), SECRET)


def test_the_issuer_and_audience_come_from_the_settings_and_local_issuers_use_their_defaults() -> None:
    # Given the settings' defaults, which local/token.py and the tests' tokens (issue_token) also use
    defaults = Settings.model_fields
    assert (defaults["session_issuer"].default, defaults["session_audience"].default) == (
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    token = issue_token(SECRET, user_id="u", tenant_id=TENANT, role="agent")
    assert authorize(event(bearer(token)), SECRET)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    # And a deployment that configures another audience refuses the default one
    with pytest.raises(Unauthorized):
        authorize(event(bearer(token)), SECRET, issuer=DEFAULT_ISSUER, audience="aurion-analytics-staging")
    other = issue_token(SECRET, user_id="u", tenant_id=TENANT, role="agent", audience="aurion-analytics-staging")
    assert authorize(event(bearer(other)), SECRET, audience="aurion-analytics-staging")["context"]["user_id"] == "u"
