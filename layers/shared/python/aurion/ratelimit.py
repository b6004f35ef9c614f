"""Per-user rate limits, counted in Redis so every Lambda instance shares them.

Strategy: moving window. "10 per minute" means at most 10 hits in any 60 seconds, so a burst across a
minute boundary cannot reach 20 as with a fixed window; in Redis it is one short list of hit times per user
(newest first, at most `limit` long), checked, pushed and read back by one Lua script in one round trip. A
refused hit is not counted. The keys and lists are those the `limits` library wrote before (its moving window:
`<prefix>:<action>/<tenant>/<subject>/<limit>/1/minute`), so instances of either version share one count
during a deployment. Our own ~40 lines instead of the library: importing `limits` loaded its async storage,
`redis.asyncio`, `deprecated` and `wrapt`, ~130 ms of the phone search's cold start for a counter.

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
from typing import Any, Final

from aurion.errors import RateLimited, rate_limit_headers
from aurion.logs import logger

# `redis` is imported when a shared limiter is first made: every API function imports this module (the API-key
# quota), but only the phone search and API-key requests count anything, so the rest never load it.

SEARCH_LIMIT: Final = 10
# The spec's per-API-key limit.
API_KEY_LIMIT: Final = 300
WINDOW_SECONDS: Final = 60
# Every key this service writes to Redis starts with it (tests use their own, unique per run).
KEY_PREFIX = "aurion-ratelimit"
REDIS_TIMEOUT_SECONDS: Final = 0.25
RETRY_SHARED_AFTER_SECONDS: Final = 30.0

# KEYS[1]: the subject's list of hit times, newest first. ARGV: now, limit, window (seconds).
# Returns {allowed (0/1), hits in the window, the oldest of them (a string: Lua numbers lose digits)}.
MOVING_WINDOW_LUA: Final = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local since = now - window
local allowed = 0
local last = redis.call('lindex', KEYS[1], limit - 1)
if not (last and tonumber(last) >= since) then
    redis.call('lpush', KEYS[1], ARGV[1])
    redis.call('ltrim', KEYS[1], 0, limit - 1)
    redis.call('expire', KEYS[1], window)
    allowed = 1
end
local low, high, found = 0, redis.call('llen', KEYS[1]) - 1, -1
while low <= high do
    local mid = math.floor((low + high) / 2)
    if tonumber(redis.call('lindex', KEYS[1], mid)) >= since then
        found = mid
        low = mid + 1
    else
        high = mid - 1
    end
end
if found < 0 then
    return {allowed, 0, ARGV[1]}
end
return {allowed, found + 1, redis.call('lindex', KEYS[1], found)}
"""


class RateLimitStoreError(Exception):
    """The shared store did not answer (connection refused, timeout, an error reply)."""


@dataclass(frozen=True)
class LimitItem:
    """`amount` hits per minute for the action `namespace`."""

    namespace: str
    amount: int

    def key_for(self, tenant_id: str, subject: str) -> str:
        return f"{self.namespace}/{tenant_id}/{subject}/{self.amount}/1/minute"


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


def _decision(
    item: LimitItem, allowed: bool, hits: int, oldest: float, now: float, *, degraded: bool
) -> RateLimitDecision:
    return RateLimitDecision(
        allowed=allowed,
        limit=item.amount,
        remaining=max(0, item.amount - hits),
        reset_after=max(0, math.ceil(oldest + WINDOW_SECONDS - now)),
        degraded=degraded,
    )


class MemoryWindows:
    """This execution environment's moving windows: hit times per key, oldest first, at most `limit` kept."""

    def __init__(self) -> None:
        self._hits: dict[str, list[float]] = {}
        self._swept_at = 0.0

    def hit(self, key: str, limit: int, now: float) -> tuple[bool, int, float]:
        """(allowed, hits in the window after this one, the oldest of them)."""
        self._sweep(now)
        since = now - WINDOW_SECONDS
        hits = [stamp for stamp in self._hits.get(key, ()) if stamp >= since]
        allowed = len(hits) < limit
        if allowed:
            hits.append(now)
        self._hits[key] = hits[-limit:]
        return allowed, len(hits), hits[0] if hits else now

    def _sweep(self, now: float) -> None:
        # Subjects that stopped calling would otherwise stay in memory for the environment's life.
        if now - self._swept_at < WINDOW_SECONDS:
            return
        self._swept_at = now
        since = now - WINDOW_SECONDS
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] < since]:
            del self._hits[key]


class RedisWindows:
    """The shared moving windows: one Lua script per hit on the sync client (connected on first use)."""

    def __init__(self, redis_url: str, key_prefix: str) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.key_prefix = key_prefix
        client: Any = redis.Redis.from_url(
            redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            # One retry for a pooled connection that went stale while the environment was frozen.
            retry=Retry(NoBackoff(), 1),
        )
        self._script: Any = client.register_script(MOVING_WINDOW_LUA)

    def hit(self, key: str, limit: int, now: float) -> tuple[bool, int, float]:
        try:
            allowed, hits, oldest = self._script(
                keys=[f"{self.key_prefix}:{key}"], args=[repr(now), limit, WINDOW_SECONDS]
            )
        except self._errors as exc:
            raise RateLimitStoreError(type(exc).__name__) from exc
        return bool(allowed), int(hits), float(oldest)


class UserRateLimiter:
    """`limit` requests per minute per (tenant, user) for one named action."""

    def __init__(self, action: str, limit: int, redis_url: str | None, *, key_prefix: str = KEY_PREFIX) -> None:
        self.redis_url = redis_url
        self.item = LimitItem(namespace=action, amount=limit)
        self._shared: RedisWindows | None = None
        self._local: MemoryWindows | None = None
        self._shared_down_until = 0.0
        if redis_url:
            try:
                self._shared = RedisWindows(redis_url, key_prefix)
            except ValueError as exc:
                # A REDIS_URL that names no Redis is a deployment mistake: say so loudly, keep searches answered.
                logger.error(
                    "REDIS_URL is not a usable Redis URL, counting in this instance",
                    extra={"action": action, "error_type": type(exc).__name__},
                )
                self._shared_down_until = math.inf
                self._shared = None

    def _local_windows(self) -> MemoryWindows:
        if self._local is None:
            self._local = MemoryWindows()
        return self._local

    def hit(self, tenant_id: str, user_id: str) -> RateLimitDecision:
        key = self.item.key_for(tenant_id, user_id.casefold())
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            now = time.time()
            try:
                allowed, hits, oldest = self._shared.hit(key, self.item.amount, now)
            except RateLimitStoreError as exc:
                self._shared_down_until = time.monotonic() + RETRY_SHARED_AFTER_SECONDS
                logger.warning(
                    "rate-limit store unreachable, counting in this instance until it is back",
                    extra={
                        "action": self.item.namespace,
                        "error_type": str(exc),
                        "retry_shared_after_s": RETRY_SHARED_AFTER_SECONDS,
                    },
                )
            else:
                if allowed:
                    self._local_windows().hit(key, self.item.amount, now)  # the shadow for an outage
                return _decision(self.item, allowed, hits, oldest, now, degraded=False)
        now = time.time()
        allowed, hits, oldest = self._local_windows().hit(key, self.item.amount, now)
        return _decision(self.item, allowed, hits, oldest, now, degraded=bool(self.redis_url))


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
