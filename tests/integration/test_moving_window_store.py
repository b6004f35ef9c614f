"""The moving window itself (aurion.ratelimit), in memory and in Redis, at hand-picked instants.

The Redis script takes the instant as an argument, so a window's edges are tested exactly without waiting a
minute; the list it keeps is the one the `limits` library kept before, so instances of both versions share a count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from aurion import ratelimit
from aurion.ratelimit import MemoryWindows, RedisWindows
from tests.support.database import REPO
from tests.support.rate_limits import _redis_url, redis_client

T0 = 1_800_000_000.0  # any instant: the windows only compare times with each other


@pytest.fixture
def redis_windows():
    client = redis_client()
    prefix = f"aurion-test-{uuid.uuid4().hex[:12]}"
    yield RedisWindows(_redis_url(), prefix), client, prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def windows(request):
    if request.param == "memory":
        return MemoryWindows()
    return request.getfixturevalue("redis_windows")[0]


def test_ten_hits_in_a_minute_then_refused_until_the_oldest_is_sixty_seconds_old(windows):
    # Given 10 hits one second apart
    answers = [windows.hit("k", 10, T0 + second) for second in range(10)]
    # Then each is allowed and counted, the oldest staying the first
    assert answers == [(True, n + 1, T0) for n in range(10)]
    # When an 11th comes 59.5 s after the first, it is refused and not counted
    assert windows.hit("k", 10, T0 + 59.5) == (False, 10, T0)
    # And when the first hit is 60 s old, one more is allowed (the window moved, it did not reset)
    assert windows.hit("k", 10, T0 + 60.5) == (True, 10, T0 + 1)
    assert windows.hit("k", 10, T0 + 60.6) == (False, 10, T0 + 1)


def test_a_subject_idle_for_a_minute_starts_a_fresh_window(windows):
    # Given a subject that spent its limit
    for second in range(3):
        windows.hit("k", 3, T0 + second)
    # When it comes back 2 minutes later
    allowed, hits, oldest = windows.hit("k", 3, T0 + 120)
    # Then only this hit is in its window
    assert (allowed, hits, oldest) == (True, 1, T0 + 120)


def test_subjects_are_counted_apart(windows):
    windows.hit("a", 1, T0)
    assert windows.hit("a", 1, T0 + 1)[0] is False
    assert windows.hit("b", 1, T0 + 1) == (True, 1, T0 + 1)


def test_a_list_the_limits_library_wrote_is_read_as_the_same_window(redis_windows):
    # Given the key and list the previous version (limits' moving window) left: 10 hits, newest first
    windows, client, prefix = redis_windows
    key = "call_search/tenant/user-1/10/1/minute"
    client.lpush(f"{prefix}:{key}", *[T0 + second for second in range(10)])
    # When this version counts a hit 30 s later, it is refused: the count is shared across the deployment
    assert windows.hit(key, 10, T0 + 30) == (False, 10, T0)


def test_redis_keeps_at_most_limit_entries_and_expires_the_key_after_the_window(redis_windows):
    windows, client, prefix = redis_windows
    for second in range(15):
        windows.hit("k", 5, T0 + second)
    assert client.llen(f"{prefix}:k") == 5
    assert 0 < client.ttl(f"{prefix}:k") <= ratelimit.WINDOW_SECONDS


def test_the_memory_windows_forget_idle_subjects():
    # Given 1,000 subjects that each searched once
    windows = MemoryWindows()
    for n in range(1_000):
        windows.hit(f"subject-{n}", 10, T0)
    # When another subject searches two minutes later
    windows.hit("late", 10, T0 + 120)
    # Then only it is still held
    assert list(windows._hits) == ["late"]


def test_counting_in_memory_loads_no_redis_client():
    # Given a fresh interpreter without REDIS_URL (the local stack), When a search is counted
    probe = (
        "import json, sys\n"
        "from aurion.ratelimit import UserRateLimiter\n"
        "assert UserRateLimiter('call_search', 10, None).hit('t', 'u').allowed\n"
        "print(json.dumps([name for name in ('redis', 'limits', 'asyncio') if name in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO / 'layers' / 'shared' / 'python'}:{REPO}"},
    )  # fmt: skip
    # Then neither a Redis client nor asyncio was imported for it
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
