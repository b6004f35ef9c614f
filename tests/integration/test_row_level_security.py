"""Tenant isolation enforced by PostgreSQL itself, independent of our WHERE clauses."""

from __future__ import annotations

import pg8000.native
import pytest

from aurion.db import Database, connect_params


@pytest.fixture
def app_db(database):
    db = Database(database.app_url, statement_timeout_ms=5000, connect_timeout_s=5)
    yield db
    db.close()


def test_the_app_role_without_a_tenant_setting_sees_no_rows(database, build):
    # Given data of a tenant
    build.team(build.tenant(), "Tier 1")
    # When the app role queries without setting app.tenant_id
    conn = pg8000.native.Connection(**connect_params(database.app_url))
    try:
        counts = {table: conn.run(f"SELECT count(*) FROM {table}")[0][0] for table in ["tenants", "teams"]}
    finally:
        conn.close()
    # Then row-level security hides everything
    assert counts == {"tenants": 0, "teams": 0}


def test_a_tenant_transaction_sees_only_that_tenants_rows_even_without_a_where_clause(app_db, build):
    tenant_a, tenant_b = build.tenant(), build.tenant()
    build.team(tenant_a, "A team")
    build.team(tenant_b, "B team")
    with app_db.transaction(str(tenant_a)) as tx:
        names = [row["name"] for row in tx.all("SELECT name FROM teams")]
    assert names == ["A team"]


def test_a_query_run_by_parallel_workers_still_sees_only_the_transactions_tenant(app_db, build):
    # Given two tenants with rows, and the tenant function the policies call marked parallel safe (0023)
    tenant_a, tenant_b = build.tenant(), build.tenant()
    for name in ("A1", "A2"):
        build.team(tenant_a, name)
    build.team(tenant_b, "B team")
    with app_db.transaction(str(tenant_a)) as tx:
        # When PostgreSQL is made to run the query in a parallel worker
        tx.execute("SET LOCAL force_parallel_mode = on")
        tx.execute("SET LOCAL parallel_setup_cost = 0")
        tx.execute("SET LOCAL parallel_tuple_cost = 0")
        plan = "\n".join(row["QUERY PLAN"] for row in tx.all("EXPLAIN SELECT name FROM teams"))
        names = sorted(row["name"] for row in tx.all("SELECT name FROM teams"))
    # Then the plan is a parallel one, and the worker saw the leader's tenant and nothing else
    assert "Gather" in plan
    assert names == ["A1", "A2"]


def test_the_tenant_setting_does_not_leak_past_its_transaction(app_db, build):
    tenant = build.tenant()
    build.team(tenant, "Tier 1")
    with app_db.transaction(str(tenant)) as tx:
        assert tx.value("SELECT count(*) FROM teams") == 1
    with app_db.transaction(None) as tx:
        assert tx.value("SELECT count(*) FROM teams") == 0


def test_the_app_role_cannot_write_rows_for_another_tenant(app_db, build):
    tenant_a, tenant_b = build.tenant(), build.tenant()
    with pytest.raises(pg8000.native.DatabaseError), app_db.transaction(str(tenant_a)) as tx:
        tx.execute(
            "INSERT INTO audit_log (tenant_id, actor_user_id, action, outcome) "
            "VALUES (CAST(:t AS uuid), 'u', 'test', 'allowed')",
            t=str(tenant_b),
        )


def tenant_tables(owner_conn) -> list[str]:
    """tenants itself and every table that carries a tenant_id: derived, so a new table cannot be forgotten."""
    rows = owner_conn.run(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id'"
    )
    return ["tenants", *sorted(row[0] for row in rows)]


def test_every_tenant_table_has_forced_row_level_security(owner_conn):
    tables = tenant_tables(owner_conn)
    assert len(tables) >= 17
    rows = owner_conn.run(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
        "WHERE relname = ANY(:tables) AND relkind = 'r'",
        tables=tables,
    )
    assert {row[0] for row in rows} == set(tables)
    assert all(row[1] and row[2] for row in rows), rows


def test_the_app_role_is_neither_owner_nor_bypassrls(owner_conn):
    row = owner_conn.run("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'aurion_app'")[0]
    assert row == [False, False]
    owners = owner_conn.run(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE tablename = ANY(:t)", t=tenant_tables(owner_conn)
    )
    assert ["aurion_app"] not in owners
