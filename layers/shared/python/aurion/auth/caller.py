"""The caller of a function route, as the authorizer established it, and the one route guard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aurion.errors import Forbidden, Unauthorized

# The authorizer context's `auth` value for a request authenticated by an API key.
API_KEY_AUTH = "api_key"


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str
    role: str
    request_id: str | None = None
    # Set when the authorizer authenticated an API key rather than a dashboard session.
    api_key_id: str | None = None

    @classmethod
    def from_request_context(cls, request_context: dict[str, Any]) -> Caller:
        authorizer = request_context.get("authorizer") or {}
        try:
            return cls(
                tenant_id=str(authorizer["tenant_id"]),
                user_id=str(authorizer["user_id"]),
                role=str(authorizer["role"]),
                request_id=request_context.get("requestId"),
                api_key_id=str(authorizer["key_id"]) if authorizer.get("auth") == API_KEY_AUTH else None,
            )
        except KeyError:
            # Only reachable if a route is deployed without the authorizer: fail closed.
            raise Unauthorized() from None

    def require(self, roles: Iterable[str]) -> None:
        if self.role not in set(roles):
            raise Forbidden("Your role does not allow this operation")
