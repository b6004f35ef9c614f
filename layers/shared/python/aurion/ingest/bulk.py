"""The bulk path: an import file of a tenant into the helpdesk tables, in chunks, resumable.

A file `imports/<tenant_id>/<import_id>/<name>` holds events of the live contract, one per line (NDJSON, or CSV
records turned into them by aurion.ingest.bulk_csv; gzip allowed). The tenant is the prefix's, never the file's
say-so: a line naming another tenant is rejected. Per chunk of lines, in one transaction of the tenant as the
ingest role:
1. the lines are validated against the contract (in slices; line by line only in a slice where one is wrong);
2. lines whose id or references are another tenant's rows are rejected (the live path's door, one query);
3. the others are COPY'd into a staging table (temporary, emptied at commit);
4. staging is merged under the live path's rule (newest source version wins, idempotent);
5. rejects (line number and reason, never content) and the checkpoint (lines done, counts) are written.
A loader killed half-way loses at most its open chunk's transaction: started again, it skips the lines done
and goes on, ending in the state a single run reaches. Should the database refuse a staged row (a constraint
the contract does not know), the chunk is applied again row by row, each in a savepoint, and that row rejected.

The tenant must exist: when it does not, a tenant.v1 line of its own as the file's first line creates it (the
live path applies it); otherwise the file waits (TenantUnknown, retried by the queue) as live events do.
After the file, when it wrote many rows, ANALYZE on each table it wrote whose statistics it moved for the tenant
(migration 0022: more than a tenth of the tenant's rows as the planner counts them, or a count the planner does not
know): answers are fast at once, and a file that adds a few percent to a large tenant pays no ANALYZE.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from typing import Any
from uuid import UUID

from pg8000.exceptions import DatabaseError

from aurion.db import Database, Transaction
from aurion.ingest import bulk_sql

# The live path's rule of what is an event's fault and its wording of a database refusal (the same package).
from aurion.ingest.apply import (
    Valid,
    _database_reason,
    _event_fault,
    apply_tenant,
    ingest_transaction,
)
from aurion.ingest.bulk_ahead import read_ahead
from aurion.ingest.bulk_gc import collector_held_off
from aurion.ingest.bulk_lines import Bad, FileUnreadable, Good, validate
from aurion.ingest.entities import ENTITIES, OWN_ID_KINDS, Entity
from aurion.ingest.erasure import erase_late_arrivals
from aurion.logs import logger

CHUNK_LINES = 10_000
# Lines per validation call: a wrong line sends only its slice to the (slower) line-by-line validation.
VALIDATE_LINES = 1_000
# Below this many rows written, the statistics move too little to be worth an ANALYZE of the tables.
ANALYZE_AFTER_ROWS = 10_000
_MAX_REASON = 2000


@dataclass(frozen=True)
class ImportFile:
    tenant_id: str
    import_id: str
    file_name: str
    # Identifies this content of the file: a file replaced under the same name is loaded again from line 1.
    etag: str


class TenantUnknown(Exception):
    """The prefix's tenant does not exist yet, and the file does not start by creating it."""


@dataclass
class FileResult:
    status: str
    rows_read: int = 0
    rows_applied: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    # {table: rows this load wrote into it}
    written: dict[str, int] = field(default_factory=dict)


def load_file(
    db: Database,
    file: ImportFile,
    lines: Iterable[bytes],
    *,
    chunk_lines: int = CHUNK_LINES,
    analyze_after_rows: int = ANALYZE_AFTER_ROWS,
    first_line: int = 1,
) -> FileResult:
    """Load the file's lines (an iterable read as it goes), from its checkpoint on; returns the file's totals.

    first_line: the number of the first line (a CSV file's records start at 2, after its header).
    """
    numbered = enumerate(lines, start=first_line)
    result = FileResult(status="loading")
    started = False
    try:
        first = list(islice(numbered, 1))
        done = _start(db, file, first)
        started = True
        if done is None:
            return _totals(db, file)
        rest = _skip(_chain(first, numbered), done)
        # Most of validation's CPU was the cyclic collector's, over objects reference counting frees (bulk_gc.py).
        with collector_held_off() as chunk_done:
            for chunk in read_ahead(_prepared(rest, chunk_lines, file.tenant_id)):
                _apply_chunk(db, file, chunk, result)
                chunk_done()
    except FileUnreadable as exc:
        # Retrying cannot mend the file: it is failed (the lines committed before stay), and the message acknowledged.
        if not started:
            _start(db, file, [])
        _finish(db, file, "failed", str(exc))
        logger.warning("import file failed", extra=_ids(file) | {"reason": str(exc)})
        return _totals(db, file)
    _finish(db, file, "completed", None)
    if result.rows_applied >= analyze_after_rows:
        _analyze(db, file.tenant_id, result.written)
    totals = _totals(db, file)
    logger.info("import file loaded", extra=_ids(file) | _counts(totals))
    return totals


def _chain(first: list[tuple[int, bytes]], rest: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    yield from first
    yield from rest


def _skip(numbered: Iterator[tuple[int, bytes]], done: int) -> Iterator[tuple[int, bytes]]:
    for n, raw in numbered:
        if n > done:
            yield n, raw


_START_SQL = """
INSERT INTO import_files AS f (tenant_id, import_id, file_name, etag)
VALUES (CAST(:tenant_id AS uuid), CAST(:import_id AS uuid), :file_name, :etag)
ON CONFLICT (tenant_id, import_id, file_name) DO UPDATE
    SET etag = EXCLUDED.etag, status = 'loading', lines_done = 0, rows_read = 0, rows_applied = 0,
        rows_unchanged = 0, rows_rejected = 0, error = NULL, started_at = now(), updated_at = now(),
        finished_at = NULL
    WHERE f.etag <> EXCLUDED.etag
RETURNING lines_done, status
"""


def _start(db: Database, file: ImportFile, first: list[tuple[int, bytes]]) -> int | None:
    """The lines already done (0 for a new file), or None when this very file was loaded already."""
    if not _tenant_known(db, file.tenant_id):
        _create_tenant(db, file, first)
    with ingest_transaction(db, file.tenant_id) as tx:
        started = tx.one(_START_SQL, **_key(file), etag=file.etag)
        if started is not None:  # new, or another content under this name
            tx.execute(
                "DELETE FROM import_rejects WHERE tenant_id = CAST(:tenant_id AS uuid) AND import_id = "
                "CAST(:import_id AS uuid) AND file_name = :file_name",
                **_key(file),
            )
            return 0
        row = tx.one(
            "SELECT lines_done, status FROM import_files WHERE tenant_id = CAST(:tenant_id AS uuid) "
            "AND import_id = CAST(:import_id AS uuid) AND file_name = :file_name",
            **_key(file),
        )
    assert row is not None
    return None if row["status"] != "loading" else int(row["lines_done"])


def _tenant_known(db: Database, tenant_id: str) -> bool:
    with ingest_transaction(db, tenant_id) as tx:
        return bool(tx.value("SELECT EXISTS (SELECT FROM tenants WHERE id = CAST(:t AS uuid))", t=tenant_id))


def _create_tenant(db: Database, file: ImportFile, first: list[tuple[int, bytes]]) -> None:
    goods = [item for item in validate(first, file.tenant_id) if isinstance(item, Good)]
    if not goods or goods[0].event.type != "tenant.v1":
        raise TenantUnknown("tenant unknown (no tenant.v1 applied yet, and the file does not start with one)")
    outcome = apply_tenant(db, file.tenant_id, [Valid(f"import:{file.import_id}:1", goods[0].event)])
    if outcome.held:
        raise TenantUnknown("tenant unknown: the file's tenant.v1 was refused")


@dataclass(frozen=True)
class _Chunk:
    goods: list[Good]
    bads: list[tuple[int, str]]
    # One staging row per good line, in the same order (COPY's input).
    rows: list[bytes]

    @property
    def last_line(self) -> int:
        return max(self.goods[-1].line if self.goods else 0, max((line for line, _ in self.bads), default=0))


def _prepared(rest: Iterator[tuple[int, bytes]], chunk_lines: int, tenant_id: str) -> Iterator[_Chunk]:
    """The file's chunks validated and their staging rows written: what needs no database."""
    while chunk := list(islice(rest, chunk_lines)):
        # In slices: one pydantic call holds the GIL throughout, stalling the thread that talks to the database.
        checked = [item for at in range(0, len(chunk), VALIDATE_LINES) for item in
                   validate(chunk[at : at + VALIDATE_LINES], tenant_id)]  # fmt: skip
        goods = [item for item in checked if isinstance(item, Good)]
        bads = [(item.line, item.reason) for item in checked if isinstance(item, Bad)]
        yield _Chunk(goods, bads, [_staging_row(good) for good in goods])


def _apply_chunk(db: Database, file: ImportFile, chunk: _Chunk, result: FileResult) -> None:
    try:
        with ingest_transaction(db, file.tenant_id) as tx:
            counts, written = _merge(tx, file, chunk, isolate=False)
    except DatabaseError as exc:
        if not _event_fault(exc):
            raise
        with ingest_transaction(db, file.tenant_id) as tx:
            counts, written = _merge(tx, file, chunk, isolate=True)
    read, applied, unchanged, rejected = counts
    result.rows_read += read
    result.rows_applied += applied
    result.rows_unchanged += unchanged
    result.rows_rejected += rejected
    for table, rows in written.items():
        result.written[table] = result.written.get(table, 0) + rows


_ANALYZE_SQL = (
    "SELECT aurion_ingest_analyze_changed(string_to_array(:tables, ','), CAST(string_to_array(:rows, ',') AS bigint[]))"
)


def _analyze(db: Database, tenant_id: str, written: dict[str, int]) -> None:
    tables = sorted(table for table, rows in written.items() if rows)
    if not tables:
        return
    with ingest_transaction(db, tenant_id) as tx:
        tx.execute(_ANALYZE_SQL, tables=",".join(tables), rows=",".join(str(written[t]) for t in tables))


def _merge(
    tx: Transaction, file: ImportFile, chunk: _Chunk, *, isolate: bool
) -> tuple[tuple[int, int, int, int], dict[str, int]]:
    """The chunk's effects and checkpoint in `tx`: ((read, applied, unchanged, rejected), {table: rows written})."""
    rejects = list(chunk.bads)
    foreign = _foreign(tx, chunk.goods)
    rejects += sorted(foreign.items())
    staged = [good for good in chunk.goods if good.line not in foreign]
    rows = [row for good, row in zip(chunk.goods, chunk.rows, strict=True) if good.line not in foreign]
    types = {good.event.type for good in staged}
    written: dict[str, int] = {}
    if staged:
        tx.execute(bulk_sql.CREATE_STAGE)
        tx.execute(bulk_sql.COPY_STAGE, stream=[b"".join(rows)])
        if not isolate:
            written = tx.one(bulk_sql.merge_sql(tuple(sorted(types))), tenant_id=file.tenant_id) or {}
        else:
            for good in staged:
                tx.execute("SAVEPOINT bulk_line")
                try:
                    sql = bulk_sql.merge_sql((good.event.type,), one_line=True)
                    for table, rows in (tx.one(sql, tenant_id=file.tenant_id, line=good.line) or {}).items():
                        written[table] = written.get(table, 0) + rows
                    tx.execute("RELEASE SAVEPOINT bulk_line")
                except DatabaseError as exc:
                    if not _event_fault(exc):
                        raise
                    tx.execute("ROLLBACK TO SAVEPOINT bulk_line")
                    rejects.append((good.line, _database_reason(exc)))
    applied = sum(written.values())
    if applied:
        # As on the live path: a survey or call that came before its conversation of an erased contact.
        conversations = [str(good.event.data.id) for good in staged if good.event.type == "conversation.v1"]
        erase_late_arrivals(tx, file.tenant_id, conversations)
    read = len(chunk.goods) + len(chunk.bads)
    unchanged = read - len(rejects) - applied
    if rejects:
        reject_rows = [{"line": line, "reason": reason[:_MAX_REASON]} for line, reason in rejects]
        tx.execute(_REJECTS_SQL, **_key(file), rows=json.dumps(reject_rows))
    tx.execute(
        _CHECKPOINT_SQL, **_key(file), last=chunk.last_line, read=read, applied=applied, unchanged=unchanged,
        rejected=len(rejects),
    )  # fmt: skip
    return (read, applied, unchanged, len(rejects)), written


def _foreign(tx: Transaction, goods: list[Good]) -> dict[int, str]:
    """{line: reason} of the lines whose id or references are rows of another tenant (the live path's door, asked
    once per distinct id). Only when some id is taken are the lines that name it looked for (it almost never is).

    Ids are compared as their 128-bit integers: a UUID's own hash and equality are Python code, and a set of
    them cost more than the query (sent as 32 hex digits, which PostgreSQL reads as a uuid).
    """
    wanted: set[tuple[str, int]] = set()
    for good in goods:
        door = _DOORS[good.event.type]
        for kind, value in zip(door.kinds, door.values(good.event.data), strict=True):
            if value is not None:
                wanted.add((kind, value.int))
    if not wanted:
        return {}
    kinds, ids = zip(*wanted, strict=True)
    rows = tx.all(bulk_sql.FOREIGN_SQL, kinds=",".join(kinds), ids=",".join(f"{i:032x}" for i in ids))
    taken = {(row["kind"], UUID(row["id"]).int) for row in rows}
    if not taken:
        return {}
    reasons: dict[int, list[str]] = {}
    for good in goods:
        door = _DOORS[good.event.type]
        for name, kind, value in zip(door.fields, door.kinds, door.values(good.event.data), strict=True):
            if value is not None and (kind, value.int) in taken:
                what = "is the id of another tenant's row" if name == "data.id" else "refers to another tenant's row"
                reasons.setdefault(good.line, []).append(f"{name}: {what} ({kind})")
    return {line: "; ".join(parts) for line, parts in reasons.items()}


@dataclass(frozen=True)
class _Door:
    """What the door checks of one type's snapshot: its own id (when the helpdesk's ids are the table's) and its
    references, read in one C call per line."""

    fields: tuple[str, ...]
    kinds: tuple[str, ...]
    values: Callable[[Any], tuple[UUID | None, ...]]


def _door(entity: Entity) -> _Door:
    named = [("data.id", entity.table, "id")] if entity.table in OWN_ID_KINDS else []
    named += [(f"data.{column}", kind, column) for column, kind in entity.references]
    columns = [column for _, _, column in named]
    return _Door(tuple(n for n, _, _ in named), tuple(k for _, k, _ in named), _getter(columns))


def _getter(columns: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    # attrgetter of one name returns the value itself, of several a tuple: a tuple always here.
    if not columns:
        return lambda _: ()
    if len(columns) == 1:
        one = attrgetter(columns[0])
        return lambda data: (one(data),)
    return attrgetter(*columns)


_DOORS = {entity.type: _door(entity) for entity in ENTITIES}


_REJECTS_SQL = """
INSERT INTO import_rejects (tenant_id, import_id, file_name, line, reason)
SELECT CAST(:tenant_id AS uuid), CAST(:import_id AS uuid), :file_name, r.line, r.reason
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r (line bigint, reason text)
ON CONFLICT DO NOTHING
"""

_CHECKPOINT_SQL = """
UPDATE import_files
SET lines_done = greatest(lines_done, :last), rows_read = rows_read + :read, rows_applied = rows_applied + :applied,
    rows_unchanged = rows_unchanged + :unchanged, rows_rejected = rows_rejected + :rejected, updated_at = now()
WHERE tenant_id = CAST(:tenant_id AS uuid) AND import_id = CAST(:import_id AS uuid) AND file_name = :file_name
"""


def _finish(db: Database, file: ImportFile, status: str, error: str | None) -> None:
    with ingest_transaction(db, file.tenant_id) as tx:
        tx.execute(
            "UPDATE import_files SET status = :status, error = :error, finished_at = now(), updated_at = now() "
            "WHERE tenant_id = CAST(:tenant_id AS uuid) AND import_id = CAST(:import_id AS uuid) "
            "AND file_name = :file_name",
            **_key(file),
            status=status,
            error=None if error is None else error[:500],
        )


def _totals(db: Database, file: ImportFile) -> FileResult:
    with ingest_transaction(db, file.tenant_id) as tx:
        row = tx.one(
            "SELECT status, rows_read, rows_applied, rows_unchanged, rows_rejected FROM import_files "
            "WHERE tenant_id = CAST(:tenant_id AS uuid) AND import_id = CAST(:import_id AS uuid) "
            "AND file_name = :file_name",
            **_key(file),
        )
    assert row is not None
    return FileResult(**row)


def _staging_row(good: Good) -> bytes:
    """A staging row: line, type, source version, the snapshot as the live path writes it (the validated model's
    JSON), joined by bulk_sql.FIELD_SEPARATOR with nothing to escape."""
    data = good.event.data
    return b"%d\x02%s\x02%d\x02%s\n" % (
        good.line,
        good.event.type.encode(),
        good.event.source_version,
        data.__pydantic_serializer__.to_json(data),
    )


def _key(file: ImportFile) -> dict[str, str]:
    return {"tenant_id": file.tenant_id, "import_id": file.import_id, "file_name": file.file_name}


def _ids(file: ImportFile) -> dict[str, str]:
    return {"tenant_id": file.tenant_id, "import_id": file.import_id}


def _counts(result: FileResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "rows_read": result.rows_read,
        "rows_applied": result.rows_applied,
        "rows_unchanged": result.rows_unchanged,
        "rows_rejected": result.rows_rejected,
    }
