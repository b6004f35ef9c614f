"""Shared fixtures: a real PostgreSQL database per session, hand-built data, configured functions."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pg8000.native
import pytest

from aurion.auth.tokens import issue_token
from aurion.db import Database, connect_params, reset_database
from aurion.ratelimit import reset_limiters
from aurion.rollups.aggregator import aggregator_database
from aurion.settings import get_settings
from local.function_loader import import_function
from tests.support.builders import Builder
from tests.support.clock import CALENDAR_EDGES, ORDINARY, FixedClock, freeze
from tests.support.database import REPO, TestDatabase, create_test_database, drop_test_database

SESSION_SECRET = "test-session-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="session")
def database() -> Iterator[TestDatabase]:
    db = create_test_database()
    yield db
    reset_database()
    drop_test_database(db)


@pytest.fixture(scope="session")
def owner_conn(database: TestDatabase) -> Iterator[pg8000.native.Connection]:
    conn = pg8000.native.Connection(**connect_params(database.admin_url))
    yield conn
    conn.close()


@pytest.fixture
def build(owner_conn: pg8000.native.Connection) -> Builder:
    return Builder(owner_conn)


@dataclass
class AppEnv:
    database: TestDatabase
    owner: pg8000.native.Connection
    secret: str = SESSION_SECRET

    def tenant_id(self, slug: str) -> str:
        rows = self.owner.run("SELECT id::text FROM tenants WHERE slug = :slug", slug=slug)
        if not rows:
            raise LookupError(f"no tenant {slug!r}")
        return str(rows[0][0])

    def token(self, role: str, tenant: str, user_id: str | None = None, ttl_seconds: int = 3600) -> str:
        """A session token; `tenant` is a slug or a tenant id."""
        try:
            tenant_id = str(uuid.UUID(tenant))
        except ValueError:
            tenant_id = self.tenant_id(tenant)
        return issue_token(
            self.secret, user_id=user_id or str(uuid.uuid4()), tenant_id=tenant_id, role=role, ttl_seconds=ttl_seconds
        )


@pytest.fixture
def app_env(
    database: TestDatabase, owner_conn: pg8000.native.Connection, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppEnv]:
    """The environment a deployed function sees, pointed at the test database as the app role."""
    monkeypatch.setenv("AURION_DB_URL", database.app_url)
    monkeypatch.setenv("AURION_SESSION_SECRET", SESSION_SECRET)
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "http://localhost:5173,https://app.example.com")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Rate limits count in memory unless a test points REDIS_URL somewhere itself.
    for name in ("DB_SECRET_ARN", "SESSION_SECRET_ARN", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    reset_database()
    reset_limiters()
    yield AppEnv(database=database, owner=owner_conn)
    get_settings.cache_clear()
    reset_database()
    reset_limiters()


@pytest.fixture
def aggregator_db(app_env: AppEnv) -> Iterator[Database]:
    """The rollup aggregator's connection to the test database, as the app role (as in AWS)."""
    db = aggregator_database(app_env.database.app_url)
    yield db
    db.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """The package's clock fixed at an ordinary moment (tests/support/clock.py)."""
    return freeze(monkeypatch, ORDINARY)


@pytest.fixture(params=list(CALENDAR_EDGES.values()), ids=list(CALENDAR_EDGES))
def calendar_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """The package's clock fixed at each calendar edge in turn: a test using it runs once per edge."""
    return freeze(monkeypatch, request.param)


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py as a cold start would: fresh module, settings validated on import."""
    return import_function(REPO / "functions" / name / "app.py", name)


@pytest.fixture
def functions(app_env: AppEnv) -> Any:
    loaded: dict[str, ModuleType] = {}

    def get(name: str) -> ModuleType:
        if name not in loaded:
            loaded[name] = load_function(name)
        return loaded[name]

    return get


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("POWERTOOLS_DEV", "false")
    assert Path(REPO / "template.yaml").exists()
