"""Dashboard session tokens: HS256 JWTs with claims sub, tenant_id, role, iss, aud, iat, exp.

A signature alone does not make a token acceptable: it must also have been issued for this API (`iss` and `aud`
match the settings, so a token the same secret signed for another audience is refused) and live a bounded time.
`exp - iat` and `exp - now` are at most MAX_LIFETIME_SECONDS: a leaked `exp=10**30` token would otherwise work
forever. The subject is compared case-insensitively wherever it names a rate-limit subject (aurion.ratelimit).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from aurion.errors import Unauthorized

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "tenant_id", "role", "exp", "iat", "iss", "aud"]
# The defaults of settings.session_issuer / session_audience, used by every local issuer (local/token.py, tests).
DEFAULT_ISSUER = "aurion-dashboard"
DEFAULT_AUDIENCE = "aurion-analytics"
# A working day and then some (local tokens live 8 hours); the dashboard refreshes far sooner.
MAX_LIFETIME_SECONDS = 12 * 3600
# Clock skew between the issuer and us, allowed on how far ahead `exp` may be (not on expiry itself).
LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class Session:
    user_id: str
    tenant_id: str
    role: str


def issue_token(
    secret: str,
    *,
    user_id: str,
    tenant_id: str,
    role: str,
    ttl_seconds: int = 3600,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "tenant_id": tenant_id,
        "role": role,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str, *, issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE) -> Session:
    """The session a token carries; Unauthorized for anything garbled, forged, expired, incomplete, issued for
    someone else or living longer than MAX_LIFETIME_SECONDS."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=audience,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Session expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid session token") from None
    if not isinstance(claims["exp"], int | float) or not isinstance(claims["iat"], int | float):
        raise Unauthorized("Invalid session token")
    lifetime, remaining = claims["exp"] - claims["iat"], claims["exp"] - time.time()
    if lifetime > MAX_LIFETIME_SECONDS or remaining > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise Unauthorized("Invalid session token")
    try:
        tenant_id = str(uuid.UUID(str(claims["tenant_id"])))
    except ValueError:
        raise Unauthorized("Invalid session token") from None
    if not isinstance(claims["sub"], str) or not isinstance(claims["role"], str):
        raise Unauthorized("Invalid session token")
    return Session(user_id=claims["sub"], tenant_id=tenant_id, role=claims["role"])
