"""Versioned SQL migrations: files NNNN_name.sql beside this module, applied once each, in order.

Runs as the database owner (DATABASE_URL), never as the app role. A PostgreSQL advisory lock makes
concurrent runs (two test workers, make run while make test) wait for each other instead of racing.
"""

from __future__ import annotations

import argparse
import re
from importlib import resources

import pg8000.native

from aurion.db import connect_params

_LOCK_KEY = 0x4155_5249  # "AURI"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
APP_ROLE = "aurion_app"


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
            conn.run("BEGIN")
            try:
                conn.run(sql)
                conn.run("INSERT INTO schema_migrations (version, name) VALUES (:v, :n)", v=version, n=name)
                conn.run("COMMIT")
            except Exception:
                conn.run("ROLLBACK")
                raise
            applied_now.append(name)
        if app_password is not None:
            # Roles are cluster-wide: the password is set here, not in a migration, so no secret is in the repo.
            conn.run(f"ALTER ROLE {APP_ROLE} LOGIN PASSWORD {_literal(app_password)}")
        conn.run("SELECT pg_advisory_unlock(:key)", key=_LOCK_KEY)
    finally:
        conn.close()
    return applied_now


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
