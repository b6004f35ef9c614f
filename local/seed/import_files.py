"""The generator's tenants as import files of the bulk path: what `make seed` and the demo tenants load.

    path = write_import_file(admin_url, spec, directory)      # the tenant row provisioned, the rest in the file

The generator writes its rows as it always does (set-based SQL, one transaction), the rows are read back as the
events of the contract (docs/ingestion.md: one snapshot per row, version 1, every field the contract has), one
NDJSON line each, into a gzip file; then the transaction is rolled back. The tenant itself is provisioned (its
row written as the generator made it, with its settings the contract does not carry, e.g. API keys), and the
file loads everything else through the loader under the live path's rules, as a helpdesk's history would.

Same spec (including `end`) and seed give the same file, byte for byte: event ids are derived from the rows.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pg8000.native

from local.seed import generator
from local.seed.helpers import helper_ddl
from local.seed.spec import TenantSpec
from local.seed.sqlkit import lit

logger = logging.getLogger("local.seed")

# Fields are separated by \x02 and "quoted" by \x01, which JSON text never holds: COPY writes each line as is.
_RAW_LINES = "WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
_NAMESPACE = uuid.UUID("9f3b7c1e-5d2a-4e8f-a6b0-2c4d6e8f0a1b")


@dataclass(frozen=True)
class SeedImport:
    spec: TenantSpec
    path: Path
    lines: int

    @property
    def import_id(self) -> str:
        """The seed's import of this tenant: the same id for the same file, so a second upload resumes it."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.spec.tenant_id}:{self.path.name}"))


def write_import_file(admin_url: str, spec: TenantSpec, directory: Path) -> SeedImport:
    """Provision the tenant and write its generated history as `<slug>.ndjson.gz` in `directory`."""
    from aurion.ingest.entities import ENTITIES

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{spec.slug}.ndjson.gz"
    conn = generator.connect(admin_url)
    started = time.perf_counter()
    try:
        conn.run("BEGIN")
        try:
            tenant = _generate(conn, spec)
            lines = 0
            # mtime 0: the same rows give the same bytes (and the same ETag, so an upload again resumes the import).
            with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
                for entity in ENTITIES:
                    if entity.table != "tenants":
                        lines += _copy_events(conn, spec, entity, out)
        finally:
            # Only the file is kept of the generated rows: they come back through the loader.
            conn.run("ROLLBACK")
        _provision(conn, spec, tenant)
    finally:
        conn.close()
    logger.info("%-34s %7.2f s (%d lines)", f"import file {path.name}", time.perf_counter() - started, lines)
    return SeedImport(spec, path, lines)


def _generate(conn: pg8000.native.Connection, spec: TenantSpec) -> dict[str, Any]:
    """The generator's steps inside the open transaction; the tenant's row as JSON."""
    conn.run("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))", key="aurion-seed:" + spec.slug)
    if conn.run("SELECT EXISTS (SELECT FROM tenants WHERE slug = :slug)", slug=spec.slug)[0][0]:
        raise generator.TenantExists(f"tenant {spec.slug!r} exists")
    generator._disable_fk_triggers(conn)
    generator._check_row_id_range(conn, spec)
    for ddl in helper_ddl(spec):
        conn.run(ddl)
    for name, run in generator._steps(conn, spec):
        generator._step(conn, name, run)
    row = conn.run("SELECT row_to_json(t)::text FROM tenants AS t WHERE id = CAST(:t AS uuid)", t=str(spec.tenant_id))
    return dict(json.loads(row[0][0]))


def _provision(conn: pg8000.native.Connection, spec: TenantSpec, tenant: dict[str, Any]) -> None:
    conn.run(
        "INSERT INTO tenants SELECT * FROM json_populate_record(NULL::tenants, CAST(:row AS json))",
        row=json.dumps(tenant),
    )


def _copy_events(conn: pg8000.native.Connection, spec: TenantSpec, entity: Any, out: Any) -> int:
    """The entity's rows of the tenant as events, one NDJSON line each, written to `out`; the line count."""
    conn.run(f"COPY ({events_sql(entity, spec)}) TO STDOUT {_RAW_LINES}", stream=out)
    return int(conn.row_count or 0)


def events_sql(entity: Any, spec: TenantSpec) -> str:
    """One event per row of the entity's table: the snapshot's fields are its columns by name (absent when null,
    so the contract's defaults apply); a table that numbers its rows itself gets a UUID derived from the number.
    COPY takes no parameters: the tenant and the instant are the spec's own (a UUID, an ISO time), as literals."""
    fields = ", ".join(f"'{name}', t.{name}" for name, _ in entity.columns)
    own_id = (
        f"coalesce(t.source_id, CAST(md5(t.tenant_id::text || ':{entity.table}:' || t.id) AS uuid))"
        if entity.keyed_by_source_id
        else "t.id"
    )
    event_id = f"CAST(md5('event:{entity.table}:' || t.id::text) AS uuid)"
    return f"""
    SELECT json_build_object(
        'type', '{entity.type}', 'tenant_id', t.tenant_id, 'event_id', {event_id},
        'occurred_at', CAST({lit(spec.end.isoformat())} AS timestamptz), 'version', 1,
        'data', jsonb_strip_nulls(jsonb_build_object('id', {own_id}, {fields}))
    )::text
    FROM {entity.table} AS t
    WHERE t.tenant_id = CAST({lit(str(spec.tenant_id))} AS uuid)
    ORDER BY t.id
    """


def seed_import(spec: TenantSpec, directory: Path) -> SeedImport | None:
    """The import file an earlier write_import_file left for this spec, if any (to upload again)."""
    path = directory / f"{spec.slug}.ndjson.gz"
    return SeedImport(spec, path, -1) if path.exists() else None


def import_status(admin_url: str, seed: SeedImport) -> dict[str, Any] | None:
    """The file's row in import_files (status and counts), or None before the loader has started it."""
    conn = generator.connect(admin_url)
    try:
        rows = conn.run(
            "SELECT status, rows_read, rows_applied, rows_rejected, error FROM import_files "
            "WHERE tenant_id = CAST(:t AS uuid) AND import_id = CAST(:i AS uuid) AND file_name = :f",
            t=str(seed.spec.tenant_id),
            i=seed.import_id,
            f=seed.path.name,
        )
    finally:
        conn.close()
    if not rows:
        return None
    return dict(zip(("status", "rows_read", "rows_applied", "rows_rejected", "error"), rows[0], strict=True))


def load_in_process(admin_url: str, seed: SeedImport) -> dict[str, Any]:
    """The loader on the file, in this process (no bucket running): what the bulk_import function does with it."""
    from aurion.db import Database
    from aurion.ingest.bulk import ImportFile, load_file
    from aurion.ingest.bulk_lines import lines

    # The owner's connection, but each chunk runs as the ingest role (ingest_transaction), as in the function.
    db = Database(admin_url, statement_timeout_ms=900_000, connect_timeout_s=10)
    file = ImportFile(str(seed.spec.tenant_id), seed.import_id, seed.path.name, _md5(seed.path))
    try:
        with seed.path.open("rb") as stream:
            load_file(db, file, lines(stream))
    finally:
        db.close()
    return import_status(admin_url, seed) or {}


def load_through_bucket(admin_url: str, seed: SeedImport, resources: Any, *, timeout_s: float = 900) -> dict[str, Any]:
    """Upload the file under its tenant's import prefix of the running stack's bucket, and wait for the loader the
    bucket's notification runs to finish it."""
    from local.import_loop import upload

    upload(resources, seed.path, str(seed.spec.tenant_id), seed.import_id)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = import_status(admin_url, seed)
        if status is not None and status["status"] != "loading":
            return status
        time.sleep(0.5)
    raise TimeoutError(f"import of {seed.path.name} not finished after {timeout_s:.0f} s")


def _md5(path: Path) -> str:
    import hashlib

    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
