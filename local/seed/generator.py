"""Creating one tenant's data: a single transaction of set-based INSERT ... SELECT statements.

Runs as the database owner (row-level security is forced on every table, so the owner needs no tenant
setting but must write tenant_id itself). With a superuser the per-row foreign-key triggers are switched
off for the transaction (session_replication_role = replica, as logical replication does): they would
cost more than the inserts. Every reference is then checked once, set-based, before the commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pg8000.native

from aurion.db import connect_params
from local.seed import calls, contacts, conversations, directory, knowledge, llm, messages, surveys
from local.seed.helpers import helper_ddl
from local.seed.spec import ROW_KEY_BITS, TenantSpec
from local.seed.timeline import create_slots_sql

logger = logging.getLogger("local.seed")

# The helpdesk tables the generator fills, parents first.
TABLES = (
    "tenants",
    "teams",
    "users",
    "contacts",
    "email_channels",
    "help_center_articles",
    "conversations",
    "csat_surveys",
    "article_views",
    "article_feedback",
    "email_messages",
    "calls",
    "llm_usage",
)
# Tables with bigint identity ids, which the generator sets itself (see TenantSpec.row_id_base).
ROW_ID_TABLES = ("article_views", "article_feedback", "email_messages", "llm_usage")
# References the schema leaves without a foreign key, checked all the same: (table, column, parent, its key).
SOFT_REFERENCES = (
    ("article_views", "contact_id", "contacts", "id"),
    ("article_views", "led_to_conversation_id", "conversations", "id"),
)
_LOCK_NAMESPACE = "aurion-seed:"


class TenantExists(Exception):
    """The slug is taken and the spec does not ask to replace it."""


class RowIdsTaken(Exception):
    """Another tenant's rows use this tenant's id range (two 20-bit hashes collided): use another seed."""


class BrokenReference(Exception):
    """Generated rows point at rows that do not exist (a bug in the generator)."""


def connect(admin_url: str) -> pg8000.native.Connection:
    conn = pg8000.native.Connection(**connect_params(admin_url), application_name="aurion-seed")
    # Session-wide: temp_buffers only takes effect before the session's first temporary table.
    conn.run("SET temp_buffers = '512MB'")
    conn.run("SET work_mem = '256MB'")
    conn.run("SET TimeZone = 'UTC'")  # hour-of-day seasonality and day arithmetic in UTC
    # The row estimates of generate_series make every statement look expensive enough to JIT-compile:
    # compiling the large expressions costs more (over a second each) than it ever saves here.
    conn.run("SET jit = off")
    # No value depends on row order (every id and draw comes from the row's own key), but single-process
    # plans also keep the order rows are written in, so a re-seeded table is laid out the same way.
    conn.run("SET max_parallel_workers_per_gather = 0")
    return conn


def seed_tenant(admin_url: str, spec: TenantSpec) -> dict[str, int]:
    """Create (or, with spec.replace, recreate) the tenant `spec.slug`; returns its row count per table."""
    conn = connect(admin_url)
    try:
        return generate(conn, spec)
    finally:
        conn.close()


def delete_tenant(admin_url: str, slug: str) -> bool:
    """Delete the tenant `slug` and all its rows (fast path of --replace); False when there was none."""
    conn = connect(admin_url)
    try:
        with _transaction(conn):
            conn.run("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))", key=_LOCK_NAMESPACE + slug)
            existing = conn.run("SELECT id::text FROM tenants WHERE slug = :slug", slug=slug)
            if existing:
                _disable_fk_triggers(conn)
                _delete_tenant(conn, existing[0][0])
            return bool(existing)
    finally:
        conn.close()


def generate(conn: pg8000.native.Connection, spec: TenantSpec) -> dict[str, int]:
    """The whole tenant in one transaction."""
    with _transaction(conn):
        conn.run("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))", key=_LOCK_NAMESPACE + spec.slug)
        existing = conn.run("SELECT id::text FROM tenants WHERE slug = :slug", slug=spec.slug)
        if existing and not spec.replace:
            raise TenantExists(f"tenant {spec.slug!r} exists; pass --replace to recreate it")
        # Bulk load: losing the last commit on a crash is fine, waiting for each WAL flush is not.
        conn.run("SET LOCAL synchronous_commit = off")
        _disable_fk_triggers(conn)
        if existing:
            _step(conn, "delete previous tenant", lambda: _delete_tenant(conn, existing[0][0]))
        _check_row_id_range(conn, spec)
        for ddl in helper_ddl(spec):
            conn.run(ddl)
        for name, run in _steps(conn, spec):
            _step(conn, name, run)
        # Statistics before the check: planned for empty tables, its joins would be nested loops over
        # millions of rows. They are committed with the data, so dashboards get good plans at once.
        _step(conn, "analyze", lambda: conn.run("ANALYZE " + ", ".join(TABLES)))
        _step(conn, "check references", lambda: check_references(conn, spec))
        return count_rows(conn, spec)


def _steps(conn: pg8000.native.Connection, spec: TenantSpec) -> Iterator[tuple[str, Callable[[], object]]]:
    def sql(text: str) -> Callable[[], object]:
        return lambda: conn.run(text)

    yield (
        "tenant",
        lambda: conn.run(
            "INSERT INTO tenants (id, slug, name, plan, products, api_keys_enabled, created_at) VALUES "
            "(CAST(:id AS uuid), :slug, :name, :plan, CAST(:products AS text[]), :api_keys, pg_temp.seed_start())",
            id=str(spec.tenant_id),
            slug=spec.slug,
            name=spec.display_name,
            plan=spec.plan,
            products="{" + ",".join(spec.products) + "}",
            api_keys=spec.plan == "enterprise",
        ),
    )
    yield "time slots", sql(create_slots_sql(spec))
    yield "teams", sql(directory.insert_teams_sql(spec))
    yield "users", sql(directory.insert_users_sql(spec))
    yield "email channels", sql(directory.insert_mailboxes_sql(spec))
    if spec.has_knowledge_base:
        yield "articles (stage)", sql(knowledge.create_articles_sql(spec))
        yield "help_center_articles", sql(knowledge.INSERT_ARTICLES)
    yield "conversations (stage)", sql(conversations.create_stage_sql(spec))
    yield "contacts", sql(contacts.insert_contacts_sql(spec))
    yield "conversations", sql(conversations.insert_conversations_sql(spec))
    yield "csat_surveys", sql(surveys.insert_surveys_sql())
    yield "email_messages", sql(messages.insert_messages_sql())
    if spec.has_knowledge_base:
        yield "article_views + article_feedback", sql(knowledge.insert_views_and_feedback_sql(spec))
    if spec.has_voice:

        def stage_calls() -> None:
            voice = conn.run("SELECT count(*) FROM seed_conv WHERE channel = 'voice'")[0][0]
            conn.run(calls.create_calls_sql(spec, calls.linked_calls(spec, voice)))

        yield "calls (stage)", stage_calls
        yield "calls", sql(calls.insert_calls_sql(spec))
    yield "llm_usage", sql(llm.insert_usage_sql(with_calls=spec.has_voice))


def _step(conn: pg8000.native.Connection, name: str, run: Callable[[], object]) -> None:
    started = time.perf_counter()
    run()
    logger.info("%-34s %7.2f s", name, time.perf_counter() - started)


@contextmanager
def _transaction(conn: pg8000.native.Connection) -> Iterator[None]:
    conn.run("BEGIN")
    try:
        yield
    except BaseException:
        conn.run("ROLLBACK")
        raise
    conn.run("COMMIT")


def _disable_fk_triggers(conn: pg8000.native.Connection) -> None:
    if not conn.run("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0]:
        logger.warning("not a superuser: foreign keys are checked row by row (several times slower)")
        return
    conn.run("SET LOCAL session_replication_role = replica")


def tenant_tables(conn: pg8000.native.Connection) -> list[str]:
    """Every table with a tenant_id column, including those the generator does not fill (exports, ...)."""
    rows = conn.run(
        "SELECT table_name FROM information_schema.columns c JOIN information_schema.tables t USING "
        "(table_schema, table_name) WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' "
        "AND t.table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [row[0] for row in rows]


def _delete_tenant(conn: pg8000.native.Connection, tenant_id: str) -> None:
    # Table by table rather than one cascading DELETE: a cascade deletes conversation by conversation, and
    # tables referencing conversations have no index on conversation_id, so it would scan them per row.
    # Without superuser rights the triggers still run, in this order they at least find nothing to do.
    order = {table: i for i, table in enumerate(reversed(TABLES))}
    for table in sorted(tenant_tables(conn), key=lambda t: order.get(t, -1)):
        conn.run(f"DELETE FROM {table} WHERE tenant_id = CAST(:t AS uuid)", t=tenant_id)
    conn.run("DELETE FROM tenants WHERE id = CAST(:t AS uuid)", t=tenant_id)


def _check_row_id_range(conn: pg8000.native.Connection, spec: TenantSpec) -> None:
    low, high = spec.row_id_base, spec.row_id_base + (1 << ROW_KEY_BITS)
    for table in ROW_ID_TABLES:
        if conn.run(f"SELECT EXISTS (SELECT FROM {table} WHERE id >= :low AND id < :high)", low=low, high=high)[0][0]:
            raise RowIdsTaken(f"{table} already has rows with ids in [{low}, {high}); seed {spec.slug} differently")


def check_references(conn: pg8000.native.Connection, spec: TenantSpec) -> None:
    """Every foreign key (and soft reference) of the tenant's rows points at a row of the same tenant."""
    rows = conn.run(
        """
        SELECT cl.relname, a.attname, pcl.relname, pa.attname
        FROM pg_constraint k
        JOIN pg_class cl ON cl.oid = k.conrelid
        JOIN pg_class pcl ON pcl.oid = k.confrelid
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
        JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
        WHERE k.contype = 'f' AND cardinality(k.conkey) = 1 AND k.connamespace = 'public'::regnamespace
          AND a.attname <> 'tenant_id' AND cl.relname = ANY (CAST(:tables AS text[]))
        ORDER BY 1, 2
        """,
        tables="{" + ",".join(TABLES) + "}",
    )
    by_table: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, parent, key in [*map(tuple, rows), *SOFT_REFERENCES]:
        by_table.setdefault(table, []).append((column, parent, key))
    broken = []
    for table, refs in by_table.items():
        # One pass over the child rows, hash-joined to each parent (restricted to the same tenant).
        joins = " ".join(
            f"LEFT JOIN (SELECT {key} AS k FROM {parent} WHERE tenant_id = pg_temp.seed_tenant()) p{i} "
            f"ON p{i}.k = x.{column}"
            for i, (column, parent, key) in enumerate(refs)
        )
        counts = ", ".join(
            f"count(*) FILTER (WHERE x.{column} IS NOT NULL AND p{i}.k IS NULL)"
            for i, (column, _, _) in enumerate(refs)
        )
        found = conn.run(f"SELECT {counts} FROM {table} x {joins} WHERE x.tenant_id = pg_temp.seed_tenant()")[0]
        broken += [f"{table}.{column}: {n}" for (column, _, _), n in zip(refs, found, strict=True) if n]
    if broken:
        raise BrokenReference(f"tenant {spec.slug}: dangling references: {', '.join(broken)}")


def count_rows(conn: pg8000.native.Connection, spec: TenantSpec) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        column = "id" if table == "tenants" else "tenant_id"
        counts[table] = conn.run(
            f"SELECT count(*) FROM {table} WHERE {column} = CAST(:t AS uuid)", t=str(spec.tenant_id)
        )[0][0]
    return counts
