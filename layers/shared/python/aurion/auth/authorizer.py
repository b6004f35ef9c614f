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

from aurion.api_keys.authentication import ApiKeyIdentity
from aurion.api_keys.scope import api_key_may_call, api_key_resources
from aurion.auth.caller import API_KEY_AUTH
from aurion.auth.roles import READ_ROLES
from aurion.auth.tokens import verify_token
from aurion.errors import Unauthorized

API_KEY_DETAIL = "API keys cannot access analytics endpoints; use a dashboard session"
ROLE_DETAIL = "Your role does not allow access to analytics"
API_KEY_ROUTE_DETAIL = "API keys may only call the read analytics endpoints; use a dashboard session"

KeyLookup = Callable[[str], ApiKeyIdentity | None]


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _api_arn(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> .../stage/*/* (the authorizer is not cached,
    # but a wide Allow keeps behaviour right if someone turns caching on).
    prefix, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0] if rest else "*"
    return f"{prefix}/{stage}/*/*"


def _policy(effect: str, principal: str, resource: str | list[str], context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


def _api_key_policy(event: dict[str, Any], key: str, method_arn: str, find_key: KeyLookup | None) -> dict[str, Any]:
    identity = find_key(key) if find_key is not None else None
    if identity is None:
        return _policy("Deny", "api-key", method_arn, {"detail": API_KEY_DETAIL})
    if not api_key_may_call(event.get("httpMethod"), event.get("resource")):
        return _policy("Deny", identity.user_id, method_arn, {"detail": API_KEY_ROUTE_DETAIL})
    context = {
        "tenant_id": identity.tenant_id,
        "user_id": identity.user_id,
        "role": identity.role,
        "auth": API_KEY_AUTH,
        "key_id": identity.key_id,
    }
    return _policy("Allow", identity.user_id, api_key_resources(method_arn), context)


def authorize(event: dict[str, Any], secret: str, find_key: KeyLookup | None = None) -> dict[str, Any]:
    """The policy for one request. Without `find_key` every API key is refused (as before keys existed)."""
    headers = event.get("headers") or {}
    method_arn = event.get("methodArn", "arn:aws:execute-api:local:000000000000:local/api/GET/")
    authorization = _header(headers, "Authorization")
    if not authorization:
        key = _header(headers, "X-API-Key")
        if key:
            return _api_key_policy(event, key.strip(), method_arn, find_key)
        raise Unauthorized()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    session = verify_token(secret, token.strip())
    if session.role not in READ_ROLES:
        return _policy("Deny", session.user_id, method_arn, {"detail": ROLE_DETAIL})
    context = {"tenant_id": session.tenant_id, "user_id": session.user_id, "role": session.role}
    return _policy("Allow", session.user_id, _api_arn(method_arn), context)
