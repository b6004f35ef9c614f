"""Per-user rate limits with the `limits` library, counted in Redis so every Lambda instance shares them.

Strategy: moving window. "10 per minute" means at most 10 hits in any 60 seconds, so a burst across a
minute boundary cannot reach 20 as with a fixed window; in Redis it is one short list per user, updated
atomically by the library's Lua script. A refused hit is not counted.

Storage: `REDIS_URL` (settings.redis_url) when set, otherwise process memory (the single-process local stack).

Redis down or slow (connect/read timeout 250 ms, one retry for a pooled connection that went stale while the
environment was frozen): we fail open *to a per-instance limit*: the request is counted in this execution
environment's memory instead, a warning without personal data is logged, and Redis is tried again after
30 seconds. A supervisor's search keeps working during a cache outage, one user still cannot exceed the limit
within one instance, and every search is in the audit log either way.

The instance's memory is a *shadow* of what it counted in Redis: every hit Redis allows is also counted there.
So when Redis fails, the instance's window already holds the hits it made in the last minute, and a user who
spent the limit just before the outage is still refused (without the shadow, the outage gave a fresh window).

Subjects are compared case-insensitively (`sub` of a session is an identifier the issuer may spell in any case):
`User-1` and `user-1` share one count.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from aurion.errors import RateLimited, rate_limit_headers
from aurion.logs import logger

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.strategies import MovingWindowRateLimiter
# `limits` and `redis` are imported when a limiter is first made: every API function imports this module (the
# API-key quota), but only the phone search and API-key requests count anything, so the rest never load them.

SEARCH_LIMIT: Final = 10
# The spec's per-API-key limit.
API_KEY_LIMIT: Final = 300
WINDOW_SECONDS: Final = 60
# Every key this service writes to Redis starts with it (tests use their own, unique per run).
KEY_PREFIX = "aurion-ratelimit"
REDIS_TIMEOUT_SECONDS: Final = 0.25
RETRY_SHARED_AFTER_SECONDS: Final = 30.0


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    # Seconds until the oldest hit of the window expires, i.e. until one more request would be allowed.
    reset_after: int
    # True when counted in this instance's memory because the configured Redis was unreachable.
    degraded: bool

    def headers(self) -> dict[str, str]:
        return rate_limit_headers(self.limit, self.remaining, self.reset_after, WINDOW_SECONDS)

    def error(self, detail: str) -> RateLimited:
        return RateLimited(detail, limit=self.limit, retry_after=max(1, self.reset_after), remaining=self.remaining)


class UserRateLimiter:
    """`limit` requests per minute per (tenant, user) for one named action."""

    def __init__(self, action: str, limit: int, redis_url: str | None, *, key_prefix: str = KEY_PREFIX) -> None:
        from limits import RateLimitItemPerMinute
        from limits.errors import ConfigurationError
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.redis_url = redis_url
        self.item: RateLimitItem = RateLimitItemPerMinute(limit, namespace=action)
        self._shared: MovingWindowRateLimiter | None = None
        self._local: MovingWindowRateLimiter | None = None
        self._shared_down_until = 0.0
        if redis_url:
            try:
                storage = storage_from_string(
                    redis_url,
                    key_prefix=key_prefix,
                    wrap_exceptions=True,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    retry=Retry(NoBackoff(), 1),  # type: ignore[arg-type]
                )
            except (ConfigurationError, ValueError) as exc:
                # A REDIS_URL that names no Redis is a deployment mistake: say so loudly, keep searches answered.
                logger.error(
                    "REDIS_URL is not a usable Redis URL, counting in this instance",
                    extra={"action": action, "error_type": type(exc).__name__},
                )
                self._shared_down_until = math.inf
                self._shared = None
            else:
                self._shared = MovingWindowRateLimiter(storage)

    def _local_limiter(self) -> MovingWindowRateLimiter:
        if self._local is None:
            from limits.storage import MemoryStorage
            from limits.strategies import MovingWindowRateLimiter

            self._local = MovingWindowRateLimiter(MemoryStorage())
        return self._local

    def _decide(
        self, limiter: MovingWindowRateLimiter, identifiers: tuple[str, str], *, degraded: bool
    ) -> RateLimitDecision:
        allowed = limiter.hit(self.item, *identifiers)
        stats = limiter.get_window_stats(self.item, *identifiers)
        return RateLimitDecision(
            allowed=allowed,
            limit=self.item.amount,
            remaining=max(0, stats.remaining),
            reset_after=max(0, math.ceil(stats.reset_time - time.time())),
            degraded=degraded,
        )

    def hit(self, tenant_id: str, user_id: str) -> RateLimitDecision:
        from limits.errors import StorageError

        identifiers = (tenant_id, user_id.casefold())
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                decision = self._decide(self._shared, identifiers, degraded=False)
            except StorageError as exc:
                self._shared_down_until = time.monotonic() + RETRY_SHARED_AFTER_SECONDS
                logger.warning(
                    "rate-limit store unreachable, counting in this instance until it is back",
                    extra={
                        "action": self.item.namespace,
                        "error_type": type(exc.storage_error).__name__,
                        "retry_shared_after_s": RETRY_SHARED_AFTER_SECONDS,
                    },
                )
            else:
                if decision.allowed:
                    self._local_limiter().hit(self.item, *identifiers)  # the shadow for an outage
                return decision
        return self._decide(self._local_limiter(), identifiers, degraded=bool(self.redis_url))


_limiters: dict[str, UserRateLimiter] = {}


def _limiter(action: str, limit: int) -> UserRateLimiter:
    """The execution environment's limiter for `action`, created on first use from the settings."""
    from aurion.settings import get_settings

    redis_url = get_settings().redis_url
    limiter = _limiters.get(action)
    if limiter is None or limiter.redis_url != redis_url:
        limiter = _limiters[action] = UserRateLimiter(action, limit, redis_url, key_prefix=KEY_PREFIX)
    return limiter


def search_limiter() -> UserRateLimiter:
    return _limiter("call_search", SEARCH_LIMIT)


def api_key_limiter() -> UserRateLimiter:
    """Requests per minute per API key, over every route a key may call (the identifiers are tenant and key)."""
    return _limiter("api_key", API_KEY_LIMIT)


def reset_limiters() -> None:
    """Forget the cached limiters, as a new execution environment would (tests)."""
    _limiters.clear()
