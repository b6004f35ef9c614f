"""The test database: a fresh PostgreSQL database per test session, migrated, with an app-role URL.

DATABASE_URL (an owner/superuser URL) points at a server to use; without it an embedded server is
started under .local/pgdata-test (or reused: it stays up for the next run until `make stop`), on port 54330
or, when another checkout's server holds that, the next free one, remembered for the next run. Each session
(each pytest-xdist worker) creates its own database and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pg8000.native

from aurion.db import connect_params
from aurion.migrate import migrate

REPO = Path(__file__).resolve().parents[2]
APP_PASSWORD = "aurion-app-test"
EMBEDDED_TEST_PORT = 54330  # a first choice: local/embedded_pg.py moves on when another checkout holds it


@dataclass(frozen=True)
class TestDatabase:
    admin_url: str
    app_url: str
    name: str


def _with_database(url: str, database: str, user: str | None = None, password: str | None = None) -> str:
    parsed = urlparse(url)
    netloc = parsed.hostname or "127.0.0.1"
    if parsed.port:
        netloc = f"{netloc}:{parsed.port}"
    user = user or parsed.username or "postgres"
    password = password if user != (parsed.username or "postgres") else parsed.password
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return urlunparse((parsed.scheme, credentials + netloc, f"/{database}", "", parsed.query, ""))


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from local.embedded_pg import start

    return start(REPO / ".local" / "pgdata-test", EMBEDDED_TEST_PORT)


def create_test_database() -> TestDatabase:
    base = server_url()
    name = f"aurion_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = pg8000.native.Connection(**connect_params(_with_database(base, "postgres")))
    try:
        admin.run(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    admin_url = _with_database(base, name)
    migrate(admin_url, app_password=APP_PASSWORD)
    return TestDatabase(admin_url=admin_url, app_url=_with_database(base, name, "aurion_app", APP_PASSWORD), name=name)


def drop_test_database(db: TestDatabase) -> None:
    admin = pg8000.native.Connection(**connect_params(_with_database(db.admin_url, "postgres")))
    try:
        admin.run(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    finally:
        admin.close()
