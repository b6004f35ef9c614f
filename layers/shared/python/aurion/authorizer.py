"""The API Gateway REQUEST authorizer: session token in, IAM policy out.

- Bearer session token, valid, known role -> Allow on the whole API, context {tenant_id, user_id, role}.
- No usable session (missing, garbled, forged, expired) -> raise Unauthorized: API Gateway answers 401.
- X-API-Key without a session: with a key lookup (the deployed authorizer has one), a live key of a tenant that
  enabled API-key access -> Allow on the read routes only, context {tenant_id, user_id, role: tenant_readonly,
  auth: api_key, key_id}; the same key on any other route -> Deny. Anything else (unknown or revoked key, access
  off) -> the same Deny as before API keys existed, so nobody learns whether a key or a tenant exists.
- A role outside the spec's list -> explicit Deny: API Gateway answers 403.
  Every Deny carries a `detail` in its context, which the ACCESS_DENIED gateway response renders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import APIGatewayAuthorizerResponse

from aurion.api_keys.authentication import ApiKeyIdentity
from aurion.api_keys.scope import API_KEY_ROUTES, api_key_may_call
from aurion.auth.caller import API_KEY_AUTH
from aurion.auth.roles import READ_ROLES
from aurion.auth.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, verify_token
from aurion.errors import Unauthorized

API_KEY_DETAIL = "API keys cannot access analytics endpoints; use a dashboard session"
ROLE_DETAIL = "Your role does not allow access to analytics"
API_KEY_ROUTE_DETAIL = "API keys may only call the read analytics endpoints; use a dashboard session"
# Where API Gateway gave no methodArn (a hand-made event): the policy still names a stage of some API.
_DEFAULT_METHOD_ARN = "arn:aws:execute-api:local:000000000000:local/api/GET/"

KeyLookup = Callable[[str], ApiKeyIdentity | None]


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _deny(method_arn: str, principal: str, detail: str) -> dict[str, Any]:
    # The whole stage: with the authorizer cache off (TTL 0) only this request's method is judged anyway.
    response = APIGatewayAuthorizerResponse.from_route_arn(method_arn, principal, {"detail": detail})
    response.deny_all_routes()
    return response.asdict()


def _api_key_policy(event: dict[str, Any], key: str, method_arn: str, find_key: KeyLookup | None) -> dict[str, Any]:
    identity = find_key(key) if find_key is not None else None
    if identity is None:
        return _deny(method_arn, "api-key", API_KEY_DETAIL)
    if not api_key_may_call(event.get("httpMethod"), event.get("resource")):
        return _deny(method_arn, identity.user_id, API_KEY_ROUTE_DETAIL)
    context = {
        "tenant_id": identity.tenant_id,
        "user_id": identity.user_id,
        "role": identity.role,
        "auth": API_KEY_AUTH,
        "key_id": identity.key_id,
    }
    response = APIGatewayAuthorizerResponse.from_route_arn(method_arn, identity.user_id, context)
    # Every key route of the stage, not only this one: the Allow stays right if caching is ever turned on.
    for method, path in sorted(API_KEY_ROUTES):
        response.allow_route(method, path)
    return response.asdict()


def authorize(
    event: dict[str, Any],
    secret: str,
    find_key: KeyLookup | None = None,
    *,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
) -> dict[str, Any]:
    """The policy for one request. Without `find_key` every API key is refused (as before keys existed)."""
    headers = event.get("headers") or {}
    method_arn = event.get("methodArn") or _DEFAULT_METHOD_ARN
    authorization = _header(headers, "Authorization")
    if not authorization:
        key = _header(headers, "X-API-Key")
        if key:
            return _api_key_policy(event, key.strip(), method_arn, find_key)
        raise Unauthorized()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    session = verify_token(secret, token.strip(), issuer=issuer, audience=audience)
    if session.role not in READ_ROLES:
        return _deny(method_arn, session.user_id, ROLE_DETAIL)
    context = {"tenant_id": session.tenant_id, "user_id": session.user_id, "role": session.role}
    response = APIGatewayAuthorizerResponse.from_route_arn(method_arn, session.user_id, context)
    # The whole stage (the authorizer is not cached, but a wide Allow keeps behaviour right if caching is on).
    response.allow_all_routes()
    return response.asdict()
