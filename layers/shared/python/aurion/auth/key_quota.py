"""300 requests per minute per API key, counted in the functions because an authorizer cannot answer 429.

Every request a key makes counts, whatever it answers (a 422 or a 403 of the plan gate included): the limit
protects the service, and a client that loops on a bad request is exactly what it is for. Counting is shared
through Redis by every function and instance, with aurion.ratelimit's fail-open to a per-instance window when
Redis is unreachable.
"""

from __future__ import annotations

from typing import Any, Final

from aurion.auth.caller import Caller
from aurion.errors import Unauthorized
from aurion.logs import logger
from aurion.ratelimit import RateLimitDecision, api_key_limiter

API_KEY_LIMIT_DETAIL: Final = "API key rate limit exceeded"


def count_api_key_request(request_context: dict[str, Any]) -> RateLimitDecision | None:
    """Count one request against its key; None when the caller is not an API key (a dashboard session)."""
    try:
        caller = Caller.from_request_context(request_context)
    except Unauthorized:
        return None
    if caller.api_key_id is None:
        return None
    decision = api_key_limiter().hit(caller.tenant_id, caller.api_key_id)
    if not decision.allowed:
        # The key's id, never the key: the secret is not in the request context at all.
        logger.info("API key rate limit exceeded", extra={"api_key_id": caller.api_key_id, "limit": decision.limit})
    return decision
