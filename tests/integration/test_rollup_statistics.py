"""The aggregator leaves the planner's statistics current for the rollups it rewrote (autovacuum may be off).

A database of its own: whether a table crosses the analyze threshold depends on how many rows it already holds,
which the session's shared database does not fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pg8000.native
import pytest

from aurion.db import connect_params
from aurion.rollups import aggregator
from tests.support import database as databases
from tests.support.builders import Builder

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
ROLLUPS = ("conversation_daily", "conversation_resolution_histogram")


@pytest.fixture
def own_database() -> Iterator[tuple[databases.TestDatabase, pg8000.native.Connection]]:
    database = databases.create_test_database()
    owner = pg8000.native.Connection(**connect_params(database.admin_url))
    # As on a server with autovacuum off: only the aggregator may analyze these tables during the test.
    for table in ROLLUPS:
        owner.run(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    try:
        yield database, owner
    finally:
        owner.close()
        databases.drop_test_database(database)


def _statistics(owner: pg8000.native.Connection) -> dict[str, tuple[float, bool]]:
    """(the planner's row estimate, analyzed at least once) per rollup table."""
    rows = owner.run(
        "SELECT c.relname, c.reltuples, s.last_analyze IS NOT NULL FROM pg_class c "
        "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = ANY(CAST(:names AS text[]))",
        names=list(ROLLUPS),
    )
    return {name: (float(reltuples), analyzed) for name, reltuples, analyzed in rows}


def test_a_tenants_first_rebuild_leaves_its_rollup_tables_analyzed(own_database):
    database, owner = own_database
    # Given a tenant with one resolved conversation on each of 60 days, never rolled up
    build = Builder(owner)
    tenant = build.tenant()
    for day in range(60):
        created = NOW - timedelta(days=60 - day, hours=3)
        build.conversation(tenant, created, resolved_at=created + timedelta(hours=1), resolved_by="human")
    assert _statistics(owner) == {table: (-1.0, False) for table in ROLLUPS}  # never analyzed: "unknown"
    # When the aggregator runs for the first time
    db = aggregator.aggregator_database(database.app_url)
    try:
        [result] = aggregator.run_all(db, now=NOW)
    finally:
        db.close()
    # Then it rebuilt the 60 days and the planner knows the rows it wrote, with no VACUUM or ANALYZE of ours
    assert result.days_rebuilt == 60
    written = {
        table: owner.run(f"SELECT count(*) FROM {table} WHERE tenant_id = CAST(:t AS uuid)", t=str(tenant))[0][0]
        for table in ROLLUPS
    }
    assert _statistics(owner) == {table: (float(written[table]), True) for table in ROLLUPS}


def test_a_run_that_rewrote_few_rows_analyzes_nothing(own_database):
    database, owner = own_database
    # Given a tenant rolled up once (its tables analyzed then)
    build = Builder(owner)
    tenant = build.tenant()
    for day in range(60):
        created = NOW - timedelta(days=60 - day, hours=3)
        build.conversation(tenant, created, resolved_at=created + timedelta(hours=1), resolved_by="human")
    db = aggregator.aggregator_database(database.app_url)
    try:
        aggregator.run_all(db, now=NOW)
        # When one late write dirties one day and the next run rebuilds it
        build.conversation(
            tenant, NOW - timedelta(days=5), resolved_at=NOW - timedelta(days=5) + timedelta(hours=2), resolved_by="ai"
        )
        [result] = aggregator.run_all(db, now=NOW + timedelta(minutes=5))
        # Then the day is rebuilt but no table crossed the threshold: nothing is analyzed
        assert result.days_rebuilt >= 1
        assert aggregator.analyze_rewritten(db) == []
    finally:
        db.close()
