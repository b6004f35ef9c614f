"""The API Gateway REQUEST authorizer: session token in, IAM policy out.

- Bearer session token, valid, known role -> Allow on the whole API, context {tenant_id, user_id, role}.
- No usable session (missing, garbled, forged, expired) -> raise Unauthorized: API Gateway answers 401.
- X-API-Key without a session, or a role outside the spec's list -> explicit Deny: API Gateway answers 403.
  The Deny carries a `detail` in its context, which the ACCESS_DENIED gateway response renders.
"""

from __future__ import annotations

from typing import Any

from aurion.auth.roles import READ_ROLES
from aurion.auth.tokens import verify_token
from aurion.errors import Unauthorized

API_KEY_DETAIL = "API keys cannot access analytics endpoints; use a dashboard session"
ROLE_DETAIL = "Your role does not allow access to analytics"


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


def _policy(effect: str, principal: str, resource: str, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


def authorize(event: dict[str, Any], secret: str) -> dict[str, Any]:
    headers = event.get("headers") or {}
    method_arn = event.get("methodArn", "arn:aws:execute-api:local:000000000000:local/api/GET/")
    authorization = _header(headers, "Authorization")
    if not authorization:
        if _header(headers, "X-API-Key"):
            return _policy("Deny", "api-key", method_arn, {"detail": API_KEY_DETAIL})
        raise Unauthorized()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    session = verify_token(secret, token.strip())
    if session.role not in READ_ROLES:
        return _policy("Deny", session.user_id, method_arn, {"detail": ROLE_DETAIL})
    context = {"tenant_id": session.tenant_id, "user_id": session.user_id, "role": session.role}
    return _policy("Allow", session.user_id, _api_arn(method_arn), context)
