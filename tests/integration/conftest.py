"""Fixtures shared by the integration tests of more than one module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.rate_limits import counter_storage


@pytest.fixture
def storage(request: pytest.FixtureRequest, app_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Where the rate-limit counters live for one test: "memory" (default), "redis" or "redis-down"."""
    yield from counter_storage(request, monkeypatch)
