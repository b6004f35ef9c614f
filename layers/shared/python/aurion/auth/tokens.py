"""Dashboard session tokens: HS256 JWTs with claims sub, tenant_id, role, exp."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from aurion.errors import Unauthorized

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "tenant_id", "role", "exp"]


@dataclass(frozen=True)
class Session:
    user_id: str
    tenant_id: str
    role: str


def issue_token(secret: str, *, user_id: str, tenant_id: str, role: str, ttl_seconds: int = 3600) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "tenant_id": tenant_id, "role": role, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Session:
    """The session a token carries; Unauthorized for anything garbled, forged, expired or incomplete."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": _REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Session expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid session token") from None
    try:
        tenant_id = str(uuid.UUID(str(claims["tenant_id"])))
    except ValueError:
        raise Unauthorized("Invalid session token") from None
    if not isinstance(claims["sub"], str) or not isinstance(claims["role"], str):
        raise Unauthorized("Invalid session token")
    return Session(user_id=claims["sub"], tenant_id=tenant_id, role=claims["role"])
