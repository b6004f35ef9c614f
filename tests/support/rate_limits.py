"""Rate-limit counters for a test: in memory, in Redis under a prefix unique to the test, or with Redis down.

Redis tests use REDIS_URL when set, else redis://127.0.0.1:6379/15, and are skipped when neither answers; their
keys are removed afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from aurion import ratelimit
from aurion.db import reset_database
from aurion.settings import get_settings

DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379/15"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/15"


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS


def redis_client():
    import redis

    client = redis.Redis.from_url(_redis_url(), socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {_redis_url()}")
    return client


def cold_start() -> None:
    """What a new execution environment starts without: cached settings, database connection, limiters."""
    get_settings.cache_clear()
    reset_database()
    ratelimit.reset_limiters()


def counter_storage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Where the counters live for one test: "memory" (no REDIS_URL), "redis", or "redis-down"."""
    kind = getattr(request, "param", "memory")
    client = None
    if kind == "memory":
        monkeypatch.delenv("REDIS_URL", raising=False)
    elif kind == "redis":
        client = redis_client()
        monkeypatch.setenv("REDIS_URL", _redis_url())
    else:
        monkeypatch.setenv("REDIS_URL", UNREACHABLE_REDIS)
    prefix = f"aurion-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(ratelimit, "KEY_PREFIX", prefix)
    cold_start()
    yield kind
    cold_start()
    if client is not None:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
