"""Versioned SQL migrations: files NNNN_name.sql beside this module, applied once each, in order.

Runs as the database owner (DATABASE_URL), never as the app role. A PostgreSQL advisory lock makes
concurrent runs on one database (make run while make test) wait for each other instead of racing.

Roles are cluster-wide, advisory locks are not: two runs migrating two databases of one server at once (test
workers, two checkouts) can both find a role missing and both create it, or both set the app role's password,
and the loser fails (unique violation on pg_authid, "tuple concurrently updated"). Such a loss is retried:
the retry finds the role the winner made, which is what both wanted.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from importlib import resources

import pg8000.native
from pg8000.exceptions import DatabaseError

from aurion.db import connect_params

_LOCK_KEY = 0x4155_5249  # "AURI"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
APP_ROLE = "aurion_app"
_RACE_RETRIES = 5
# Where a concurrent CREATE ROLE / GRANT role in another database collides with ours.
_ROLE_CATALOGS = ("pg_authid", "pg_auth_members")


def migration_files() -> list[tuple[int, str, str]]:
    folder = resources.files("aurion") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(admin_url: str, *, app_password: str | None = None) -> list[str]:
    """Apply pending migrations; returns the names applied. With app_password the app role may log in."""
    conn = pg8000.native.Connection(**connect_params(admin_url), application_name="aurion-migrate")
    applied_now: list[str] = []
    try:
        conn.run("SELECT pg_advisory_lock(:key)", key=_LOCK_KEY)
        conn.run(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.run("SELECT version FROM schema_migrations")}
        for version, name, sql in migration_files():
            if version in done:
                continue
            _retrying_races(_apply, conn, version, name, sql)
            applied_now.append(name)
        if app_password is not None:
            # Roles are cluster-wide: the password is set here, not in a migration, so no secret is in the repo.
            statement = f"ALTER ROLE {APP_ROLE} LOGIN PASSWORD {_literal(app_password)}"
            _retrying_races(conn.run, statement)
        conn.run("SELECT pg_advisory_unlock(:key)", key=_LOCK_KEY)
    finally:
        conn.close()
    return applied_now


def _apply(conn: pg8000.native.Connection, version: int, name: str, sql: str) -> None:
    conn.run("BEGIN")
    try:
        conn.run(sql)
        conn.run("INSERT INTO schema_migrations (version, name) VALUES (:v, :n)", v=version, n=name)
        conn.run("COMMIT")
    except Exception:
        conn.run("ROLLBACK")
        raise


def _retrying_races(step: Callable[..., object], *args: object) -> None:
    for attempt in range(_RACE_RETRIES):
        try:
            step(*args)
            return
        except DatabaseError as exc:
            if attempt == _RACE_RETRIES - 1 or not _lost_a_role_race(exc):
                raise
        time.sleep(random.uniform(0.01, 0.1) * (attempt + 1))  # noqa: S311 (jitter, not security)


def _lost_a_role_race(exc: DatabaseError) -> bool:
    fields = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    code = fields.get("C")
    if code == "23505":  # unique_violation: on a role catalog only when a concurrent run made the same role
        return fields.get("t") in _ROLE_CATALOGS
    # duplicate_object (CREATE ROLE after the winner committed), "tuple concurrently updated" (ALTER ROLE).
    return code in ("42710", "XX000")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def main() -> None:
    parser = argparse.ArgumentParser(description="Apply Aurion's SQL migrations")
    parser.add_argument("--database-url", required=True, help="owner connection, postgresql://…")
    parser.add_argument("--app-password", help="let the app role log in with this password")
    args = parser.parse_args()
    applied = migrate(args.database_url, app_password=args.app_password)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")


if __name__ == "__main__":
    main()
