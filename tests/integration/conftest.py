"""Fixtures shared by the integration tests of more than one module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.clock import FixedClock, freeze
from tests.support.exports import Aws, Exports, mocked_aws
from tests.support.rate_limits import counter_storage


@pytest.fixture
def storage(request: pytest.FixtureRequest, app_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Where the rate-limit counters live for one test: "memory" (default), "redis" or "redis-down"."""
    yield from counter_storage(request, monkeypatch)


@pytest.fixture
def aws(app_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """The exports bucket and queues in moto (tests/support/exports.py)."""
    yield from mocked_aws(monkeypatch)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """The clock fixed at 2026-03-09 12:00 UTC and moved by hand."""
    return freeze(monkeypatch, datetime(2026, 3, 9, 12, 0, tzinfo=UTC))


@pytest.fixture
def exports(functions, aws: Aws, build) -> Exports:
    """The exports API and worker as an admin of a new tenant uses them."""
    return Exports(api=functions("exports"), worker=functions("export_worker"), aws=aws, tenant=build.tenant())
