"""The bulk path's speed: conversations per second into a tenant through the loader, beside a bare COPY of the
same file.

    python -m local.bench.bulk_import [--conversations 100000] [--gzip]    (DATABASE_URL: an owner URL of a server)

Runs in a scratch database of DATABASE_URL's server (created, migrated, dropped at the end). The file is the live
benchmark's helpdesk mix (local.bench.ingest: per conversation its creation and resolution, two email messages, a
survey sent and answered for half, a call and an LLM request for every fifth), one event per line. The loader is
aurion.ingest.bulk.load_file as the bulk_import function runs it (validation, staging COPY, checks, merge,
checkpoints, ANALYZE), as the functions' role. The bare COPY loads the same file's lines into a one-column jsonb
table: the least any load of it must do (read, send, parse the JSON).

`make bench` runs `measure_into_tenant` on its 1,000,000-conversation tenant: the file's conversations are new
rows of that tenant (its tables' indexes at full size), and are deleted again afterwards (by the file's own ids),
so the next run starts from the same tenant.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import logging
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pg8000.native

from local import embedded_pg
from local.bench.ingest import helpdesk_events
from local.paths import ensure_layer_on_path

DATABASE = "aurion_bench_bulk"
APP_PASSWORD = "aurion-bench-bulk"
# Every byte of the line is data: no quote or delimiter character can occur in UTF-8 JSON text.
_RAW_LINES = "WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"


def write_file(
    path: Path, tenant_id: str, conversations: int, *, compress: bool, ids: dict[str, set[str]] | None = None
) -> int:
    """The history file; its line count. ids: filled with the ids of every type's snapshots (to delete them)."""
    opener: Any = gzip.open if compress else open
    lines = 0
    with opener(path, "wb") as out:
        for event in helpdesk_events(tenant_id, conversations):
            out.write(json.dumps(event, separators=(",", ":")).encode() + b"\n")
            lines += 1
            if ids is not None:
                ids.setdefault(event["type"], set()).add(event["data"]["id"])
    return lines


def _params(url: str) -> dict[str, Any]:
    from aurion.db_url import connect_params

    return connect_params(url)


def measure_loader(app_url: str, tenant_id: str, path: Path) -> dict[str, Any]:
    from aurion.db import Database
    from aurion.ingest.bulk import ImportFile, load_file
    from aurion.ingest.bulk_lines import lines

    db = Database(app_url, statement_timeout_ms=600_000, connect_timeout_s=5)
    file = ImportFile(tenant_id, str(uuid.uuid4()), path.name, "bench")
    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        result = load_file(db, file, lines(stream))
    elapsed = time.perf_counter() - started
    # The loader's own CPU (both threads; not its database backend's): steadier than the elapsed time on a shared
    # machine, where the latter mostly measures what else runs.
    cpu = time.process_time() - cpu_started
    db.close()
    return {"seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2), "rows_read": result.rows_read,
            "rows_applied": result.rows_applied, "rows_rejected": result.rows_rejected}  # fmt: skip


def measure_copy(admin_url: str, path: Path) -> float:
    conn = pg8000.native.Connection(**_params(admin_url))
    conn.run("CREATE TABLE bench_bare_copy (doc jsonb)")
    started = time.perf_counter()
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        conn.run(f"COPY bench_bare_copy (doc) FROM STDIN {_RAW_LINES}", stream=stream)
    elapsed = time.perf_counter() - started
    conn.run("DROP TABLE bench_bare_copy")
    conn.close()
    return elapsed


# The tables a history file of helpdesk_events writes, children first (the order the rows are deleted in).
_WRITTEN = ("llm_usage", "calls", "email_messages", "csat_surveys", "conversations", "email_channels", "users", "teams")


def measure_into_tenant(admin_url: str, app_url: str, tenant_id: str, conversations: int) -> dict[str, Any]:
    """The loader and a bare COPY of the same new history file of `conversations` conversations, into the tenant
    as it is; the tenant is left as it was."""
    owner = pg8000.native.Connection(**_params(admin_url))
    ids: dict[str, set[str]] = {}
    try:
        before = owner.run("SELECT count(*) FROM conversations WHERE tenant_id = CAST(:t AS uuid)", t=tenant_id)[0][0]
        started = owner.run("SELECT clock_timestamp()")[0][0]
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "history.ndjson"
            lines = write_file(path, tenant_id, conversations, compress=False, ids=ids)
            copy_s = measure_copy(admin_url, path)
            print(f"bulk import: {lines:,} lines, bare COPY {copy_s:.2f} s, loading …", flush=True)
            loader = measure_loader(app_url, tenant_id, path)
            size = path.stat().st_size
        floor_s = measure_table_floor(admin_url, tenant_id, ids)
        print(f"bulk import: the loaded rows COPY'd straight into their tables in {floor_s:.2f} s", flush=True)
        analyzed = owner.run(
            "SELECT count(*) FILTER (WHERE last_analyze > :started) FROM pg_stat_user_tables "
            "WHERE relname = ANY (CAST(:tables AS text[]))",
            tables=list(_WRITTEN),
            started=started,
        )[0][0]
    finally:
        _forget_loaded(owner, tenant_id, ids)
        owner.close()
    rate = conversations / loader["seconds"]
    return {
        "tenant_conversations": before, "conversations": conversations, "lines": lines, "file_bytes": size,
        "loader": {**loader, "conversations_per_s": round(rate), "lines_per_s": round(lines / loader["seconds"])},
        "bare_copy": {"seconds": round(copy_s, 2), "conversations_per_s": round(conversations / copy_s)},
        "ratio_to_copy": round(copy_s / loader["seconds"], 3), "tables_analyzed": analyzed,
        "tables_copy": {"seconds": round(floor_s, 2), "conversations_per_s": round(conversations / floor_s),
                        "ratio_to_copy": round(copy_s / floor_s, 3)},
    }  # fmt: skip


def _loaded(tenant_id: str, ids: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(table, the WHERE of exactly the rows the file brought into it), children first. The ids are the
    generator's own UUIDs, inlined because COPY takes no parameters."""
    from aurion.ingest.entities import BY_TYPE

    entities = sorted((BY_TYPE[t] for t in ids), key=lambda e: _WRITTEN.index(e.table))
    return [
        (
            entity.table,
            f"tenant_id = CAST('{uuid.UUID(tenant_id)}' AS uuid) AND {entity.key_column} = "
            f"ANY (CAST(string_to_array('{','.join(str(uuid.UUID(i)) for i in ids[entity.type])}', ',') AS uuid[]))",
        )
        for entity in entities
    ]


def measure_table_floor(admin_url: str, tenant_id: str, ids: dict[str, set[str]]) -> float:
    """Seconds to COPY exactly the rows the loader wrote straight into their own tables (their indexes, tenant
    foreign keys and triggers as they are), in a transaction rolled back: what writing them costs any loader,
    before validation, staging and the merge's rule. The rows are read out, deleted, and COPY'd back in."""
    loaded = _loaded(tenant_id, ids)
    conn = pg8000.native.Connection(**_params(admin_url))
    try:
        conn.run("BEGIN")
        dumps: dict[str, tuple[str, bytes]] = {}
        for table, where in loaded:
            # Generated columns are the table's own to compute: COPY FROM takes the others.
            names = conn.run(
                "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) FROM "
                "information_schema.columns WHERE table_schema = 'public' AND table_name = :t "
                "AND is_generated = 'NEVER'",
                t=table,
            )[0][0]
            out = io.BytesIO()
            conn.run(f"COPY (SELECT {names} FROM {table} WHERE {where}) TO STDOUT", stream=out)
            dumps[table] = (names, out.getvalue())
            conn.run(f"DELETE FROM {table} WHERE {where}")
        started = time.perf_counter()
        for table, _ in reversed(loaded):  # parents first
            names, rows = dumps[table]
            conn.run(f"COPY {table} ({names}) FROM STDIN", stream=io.BytesIO(rows))
        return time.perf_counter() - started
    finally:
        conn.run("ROLLBACK")
        conn.close()


def _forget_loaded(owner: pg8000.native.Connection, tenant_id: str, ids: dict[str, set[str]]) -> None:
    """Delete exactly the rows the file brought (children first), by the helpdesk ids of its snapshots."""
    for table, where in _loaded(tenant_id, ids):
        owner.run(f"DELETE FROM {table} WHERE {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--gzip", action="store_true", help="write and load the file gzip-compressed")
    args = parser.parse_args()
    ensure_layer_on_path()
    from aurion.migrate import migrate
    from local.stack import _replace_credentials

    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        raise SystemExit("error: set DATABASE_URL to an owner URL of the PostgreSQL server to measure on")
    postgres = embedded_pg.with_database(server_url, "postgres")
    admin_url = embedded_pg.ensure_database(postgres, DATABASE)
    logging.getLogger("aurion-analytics").setLevel(logging.WARNING)
    try:
        migrate(admin_url, app_password=APP_PASSWORD)
        tenant_id = str(uuid.uuid4())
        owner = pg8000.native.Connection(**_params(admin_url))
        owner.run(
            "INSERT INTO tenants (id, slug, name, plan, products) VALUES "
            "(CAST(:t AS uuid), 'bench-bulk', 'Bench', 'enterprise', '{voice,helpdesk,knowledge_base}')",
            t=tenant_id,
        )
        owner.close()
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / ("history.ndjson.gz" if args.gzip else "history.ndjson")
            lines = write_file(path, tenant_id, args.conversations, compress=args.gzip)
            copy_s = measure_copy(admin_url, path)
            loader = measure_loader(_replace_credentials(admin_url, "aurion_app", APP_PASSWORD), tenant_id, path)
            size = path.stat().st_size
        rate = args.conversations / loader["seconds"]
        print(json.dumps({
            "conversations": args.conversations, "lines": lines, "file_bytes": size, "gzip": args.gzip,
            "loader": {**loader, "conversations_per_s": round(rate), "lines_per_s": round(lines / loader["seconds"])},
            "bare_copy": {"seconds": round(copy_s, 2), "conversations_per_s": round(args.conversations / copy_s)},
            "ratio_to_copy": round(copy_s / loader["seconds"], 3),
        }, indent=2))  # fmt: skip
    finally:
        conn = pg8000.native.Connection(**_params(postgres))
        conn.run(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.close()


if __name__ == "__main__":
    main()
