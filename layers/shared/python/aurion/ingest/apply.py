"""The merge rules: a tenant's events of one batch become rows, in one transaction, set-based.

Rules (docs/ingestion.md, "Ordering and idempotency"):
- Newest wins: an upsert writes a snapshot only when its source version is greater than the row's
  (`source_version`; a row written before ingestion existed has none and is replaced). So the same event twice
  changes nothing, and an older snapshot arriving after a newer one is ignored. Within a batch, the newest
  snapshot of each entity is the one written.
- Stored as it arrives: references are not required to exist (a conversation before its team); the row joins
  its team when the team arrives, since every reader joins by id.
- One tenant: rows are written with the transaction's tenant (the envelope's), under row-level security as the
  ingest role. An event whose own id or references are rows of another tenant is rejected.
- All or nothing per event: each event is one row, written by one statement or not at all. A rejected event
  writes nothing but its rejection (ids and reason, `ingest_rejections`), in the same transaction.
- Events of a tenant that does not exist yet are held (retried by the queue) until its tenant.v1 arrives.

Each entity type is one INSERT ... ON CONFLICT over the batch's rows (jsonb_to_recordset), all of them in one
statement. Should it fail on a row the models let through (a constraint the contract does not know, a tenant
slug taken by another tenant), the batch is applied again event by event, each in its own savepoint, and the
failing event is rejected with the constraint's name: the rest of the batch is applied all the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pg8000.exceptions import DatabaseError

from aurion.db import Database, Transaction
from aurion.ingest import events as ev
from aurion.ingest.entities import BY_TYPE, OWN_ID_KINDS, Entity
from aurion.ingest.erasure import ERASED_KIND, erase, erase_late_arrivals, scrubbed_columns
from aurion.pg_errors import sqlstate

INGEST_ROLE = "aurion_ingest"
# SQLSTATE classes that say "this row is wrong" (data exception, integrity constraint): the event's fault.
# Anything else (a lost connection, a timeout, a privilege) is the system's, and the batch is retried.
_EVENT_FAULT_CLASSES = ("22", "23")
_MAX_REASON = 2000


@contextmanager
def ingest_transaction(db: Database, tenant_id: str) -> Iterator[Transaction]:
    """A transaction of the tenant, as the ingest role: the app role itself cannot write helpdesk data."""
    with db.transaction(tenant_id) as tx:
        # SET LOCAL ROLE, as a function call like the tenant setting: RDS Proxy pins a connection on SET statements.
        tx.execute("SELECT set_config('role', :role, true)", role=INGEST_ROLE)
        yield tx


@dataclass(frozen=True)
class Rejection:
    """Why an event was refused, and which: ids only, never the event's content."""

    event_key: str
    reason: str
    event_type: str | None = None
    entity_id: str | None = None
    source_version: int | None = None
    message_id: str | None = None

    @classmethod
    def of(cls, event: ev.Envelope, reason: str, message_id: str | None) -> Rejection:
        return cls(
            event_key=str(event.event_id),
            reason=reason,
            event_type=event.type,
            entity_id=str(event.data.id),
            source_version=event.source_version,
            message_id=message_id,
        )

    def row(self) -> dict[str, Any]:
        return {
            "event_key": self.event_key[:200],
            "event_type": None if self.event_type is None else self.event_type[:100],
            "entity_id": None if self.entity_id is None else self.entity_id[:100],
            "source_version": self.source_version,
            "reason": self.reason[:_MAX_REASON],
            "message_id": None if self.message_id is None else self.message_id[:200],
        }


@dataclass(frozen=True)
class Valid:
    """A message of the batch that holds a valid event of this tenant."""

    message_id: str
    event: ev.Envelope


@dataclass(frozen=True)
class Invalid:
    """A message of the batch whose event names this tenant but breaks the contract."""

    message_id: str
    rejection: Rejection


Received = Valid | Invalid


@dataclass
class Outcome:
    applied: int = 0
    # Duplicates, and snapshots older than the row's (or than another one of the batch).
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    # {message id: why} of the messages to deliver again later (their tenant does not exist yet).
    held: dict[str, str] = field(default_factory=dict)


def apply_tenant(db: Database, tenant_id: str, items: list[Received]) -> Outcome:
    """One tenant's share of a batch, in one transaction of that tenant as the ingest role.

    All at once first. Should the database refuse a row (a constraint the contract does not know), the transaction
    is rolled back and the share applied again event by event, each in its own savepoint, so that the refused
    event is rejected alone. The happy path costs a handful of round trips, whatever the batch holds.
    """
    try:
        with ingest_transaction(db, tenant_id) as tx:
            return apply_batch(tx, tenant_id, items)
    except DatabaseError as exc:
        if not _event_fault(exc):
            raise
    with ingest_transaction(db, tenant_id) as tx:
        return apply_batch(tx, tenant_id, items, isolate=True)


def apply_batch(tx: Transaction, tenant_id: str, items: list[Received], *, isolate: bool = False) -> Outcome:
    """Apply one tenant's share of a batch inside `tx` (an ingest_transaction of that tenant).

    isolate: each event in its own savepoint, rejecting those the database refuses (instead of raising).
    """
    outcome = Outcome()
    # The tenant first: the rest of the batch may be its first data.
    tenants = [item for item in items if isinstance(item, Valid) and item.event.type == "tenant.v1"]
    rest = [item for item in items if not (isinstance(item, Valid) and item.event.type == "tenant.v1")]
    written, refused = _write(tx, tenant_id, tenants, isolate=isolate)
    valid = [item for item in rest if isinstance(item, Valid)]
    known, foreign = _check(tx, tenant_id, [item.event for item in valid])
    if not known:
        # Nothing can be written for it, not even a rejection: held until the tenant exists.
        outcome.held = {item.message_id: "tenant unknown (no tenant.v1 applied yet)" for item in rest}
        outcome.held |= {r.message_id: f"tenant.v1 refused: {r.reason}" for r in refused if r.message_id}
        return outcome
    outcome.applied, outcome.unchanged = written, len(tenants) - len(refused) - written
    outcome.rejected = refused + [item.rejection for item in rest if isinstance(item, Invalid)]

    accepted = valid
    if foreign:
        accepted = [item for item in valid if str(item.event.event_id) not in foreign]
        outcome.rejected += [
            Rejection.of(item.event, foreign[str(item.event.event_id)], item.message_id)
            for item in valid
            if str(item.event.event_id) in foreign
        ]
    erasures = [item for item in accepted if item.event.type in ERASED_KIND]
    accepted = [item for item in accepted if item.event.type not in ERASED_KIND]
    written, refused = _write(tx, tenant_id, accepted, isolate=isolate)
    outcome.applied += written
    outcome.unchanged += len(accepted) - len(refused) - written
    outcome.rejected += refused
    # After the batch's snapshots: an erasure wins over a snapshot of the same batch, whatever their order.
    ids_by_type: dict[str, list[str]] = {}
    for item in erasures:
        ids_by_type.setdefault(item.event.type, []).append(str(item.event.data.id))
    outcome.applied += erase(tx, tenant_id, ids_by_type)
    erase_late_arrivals(tx, tenant_id, [str(i.event.data.id) for i in accepted if i.event.type == "conversation.v1"])
    record_rejections(tx, tenant_id, outcome.rejected)
    return outcome


def _write(tx: Transaction, tenant_id: str, items: list[Valid], *, isolate: bool) -> tuple[int, list[Rejection]]:
    """(rows written, events the database refused); without isolate a refusal raises."""
    if not items:
        return 0, []
    if not isolate:
        return _upsert(tx, tenant_id, [item.event for item in items]), []
    written, refused = 0, []
    for item in items:
        tx.execute("SAVEPOINT ingest_event")
        try:
            written += _upsert(tx, tenant_id, [item.event])
            tx.execute("RELEASE SAVEPOINT ingest_event")
        except DatabaseError as exc:
            if not _event_fault(exc):
                raise
            tx.execute("ROLLBACK TO SAVEPOINT ingest_event")
            refused.append(Rejection.of(item.event, _database_reason(exc), item.message_id))
    return written, refused


def _upsert(tx: Transaction, tenant_id: str, events: list[ev.Envelope]) -> int:
    """Every event in one statement (one INSERT ... ON CONFLICT per type); returns the rows written."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        row = {**event.data.model_dump(mode="json"), "source_version": event.source_version}
        by_type.setdefault(event.type, []).append(row)
    # Parents first: not needed for correctness (nothing requires a parent), it keeps the lock order fixed.
    present = tuple(entity for entity in BY_TYPE.values() if entity.type in by_type)
    rows = {f"rows_{i}": json.dumps(by_type[entity.type]) for i, entity in enumerate(present)}
    return int(tx.value(upsert_sql(present), tenant_id=tenant_id, **rows))


@cache
def upsert_sql(entities: tuple[Entity, ...]) -> str:
    """One statement writing :rows_0 into the first entity's table, :rows_1 into the second's, ...; the count.

    Each type's rows go through INSERT ... ON CONFLICT DO UPDATE ... WHERE the row's version is older: the newest
    snapshot of each id in the batch, written only over an older one.
    """
    writes = ",\n".join(f"w{i} AS ({_insert_sql(entity, f'rows_{i}')})" for i, entity in enumerate(entities))
    total = " + ".join(f"(SELECT count(*) FROM w{i})" for i in range(len(entities)))
    return f"WITH {writes}\nSELECT {total} AS written"


def _insert_sql(entity: Entity, rows_param: str) -> str:
    record = ", ".join(["id uuid", "source_version bigint", *column_types(entity)])
    return merge_insert_sql(
        entity,
        f"""SELECT DISTINCT ON (id) *
        FROM jsonb_to_recordset(CAST(:{rows_param} AS jsonb)) AS r ({record})
        ORDER BY id, source_version DESC""",
    )


def column_types(entity: Entity) -> list[str]:
    """The entity's snapshot columns as a record definition: ["name text", ...]."""
    return [f"{name} {sql}" for name, sql in entity.columns]


def merge_insert_sql(entity: Entity, incoming: str) -> str:
    """The merge rule, for the live and the bulk path alike: `incoming` selects at most one row per id (its newest
    snapshot: id, source_version and the entity's columns), written only over an older version of the row.
    """
    names = [name for name, _ in entity.columns]
    # tenants is the one table without tenant_id: its id is the tenant's.
    owned = entity.table != "tenants"
    tenant_columns, tenant_values = (["tenant_id"], ["CAST(:tenant_id AS uuid)"]) if owned else ([], [])
    columns = ", ".join([entity.key_column, *tenant_columns, "source_version", *names])
    # A snapshot of an erased row (or of one belonging to an erased contact or conversation) is written with its
    # personal columns emptied, whatever its version (aurion/ingest/erasure.py).
    written, scrub_join = scrubbed_columns(entity.table, names)
    values = ", ".join(["id", *tenant_values, "source_version", *written])
    conflict = "(tenant_id, source_id) WHERE source_id IS NOT NULL" if entity.keyed_by_source_id else "(id)"
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in ["source_version", *names])
    return f"""
    INSERT INTO {entity.table} AS t ({columns})
    SELECT {values}
    FROM ({incoming}) AS incoming
    {scrub_join}
    ORDER BY id
    ON CONFLICT {conflict} DO UPDATE SET {updates}
    WHERE t.source_version IS NULL OR t.source_version < EXCLUDED.source_version
    RETURNING 1
"""


# The pairs travel as one JSON text: pg8000 escapes array parameters element by element, in Python (it was half
# of a 500-event batch's time). The tenant's existence comes in the same round trip.
_CHECK_SQL = """
WITH pairs AS (
    SELECT p.value ->> 0 AS kind, CAST(p.value ->> 1 AS uuid) AS id, p.n
    FROM jsonb_array_elements(CAST(:pairs AS jsonb)) WITH ORDINALITY AS p (value, n)
)
SELECT EXISTS (SELECT FROM tenants WHERE id = CAST(:tenant_id AS uuid)) AS known,
       (SELECT coalesce(json_agg(json_build_array(f.kind, f.id)), '[]')::text
        FROM aurion_ingest_foreign_ids(ARRAY(SELECT kind FROM pairs ORDER BY n),
                                       ARRAY(SELECT id FROM pairs ORDER BY n)) AS f) AS foreign_ids
"""


def _check(tx: Transaction, tenant_id: str, events: list[ev.Envelope]) -> tuple[bool, dict[str, str]]:
    """Whether the tenant exists, and {event_id: reason} of the events whose id or references are rows of another
    tenant."""
    wanted: list[tuple[str, str, str, str]] = []  # (event_id, field, kind, id)
    for event in events:
        event_id = str(event.event_id)
        if event.type in ERASED_KIND:
            wanted.append((event_id, "data.id", ERASED_KIND[event.type], str(event.data.id)))
            continue
        entity = BY_TYPE[event.type]
        if entity.table in OWN_ID_KINDS:
            wanted.append((event_id, "data.id", entity.table, str(event.data.id)))
        for column, kind in entity.references:
            value = getattr(event.data, column)
            if value is not None:
                wanted.append((event_id, f"data.{column}", kind, str(value)))
    pairs = sorted({(kind, value) for _, _, kind, value in wanted})
    row = tx.one(_CHECK_SQL, tenant_id=tenant_id, pairs=json.dumps(pairs))
    assert row is not None
    taken = {(kind, value) for kind, value in json.loads(row["foreign_ids"])}
    reasons: dict[str, list[str]] = {}
    for event_id, name, kind, value in wanted:
        if (kind, value) in taken:
            what = "is the id of another tenant's row" if name == "data.id" else "refers to another tenant's row"
            reasons.setdefault(event_id, []).append(f"{name}: {what} ({kind})")
    return bool(row["known"]), {event_id: "; ".join(parts) for event_id, parts in reasons.items()}


_REJECT_SQL = """
INSERT INTO ingest_rejections (tenant_id, event_key, event_type, entity_id, source_version, reason, message_id)
SELECT CAST(:tenant_id AS uuid), r.event_key, r.event_type, r.entity_id, r.source_version, r.reason, r.message_id
FROM jsonb_to_recordset(CAST(:rows AS jsonb))
     AS r (event_key text, event_type text, entity_id text, source_version bigint, reason text, message_id text)
ON CONFLICT (tenant_id, event_key) DO NOTHING
"""


def record_rejections(tx: Transaction, tenant_id: str, rejections: list[Rejection]) -> None:
    """One row per rejected event (the first reason stays when it is delivered again)."""
    if rejections:
        tx.execute(_REJECT_SQL, tenant_id=tenant_id, rows=json.dumps([r.row() for r in rejections]))


def _event_fault(exc: DatabaseError) -> bool:
    return (sqlstate(exc) or "").startswith(_EVENT_FAULT_CLASSES)


def _database_reason(exc: DatabaseError) -> str:
    """The constraint or column at fault, never the server's message (its DETAIL quotes the values)."""
    # The server's error fields: t table, n constraint, c column.
    details = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    code = sqlstate(exc) or ""
    table, constraint, column = details.get("t"), details.get("n"), details.get("c")
    where = f"{table}: " if table else ""
    if code == "23505":
        return f"{where}conflicts with another row (unique constraint {constraint})"
    if code == "23514":
        return f"{where}violates check constraint {constraint}"
    if code == "23502":
        return f"{where}{column or 'a column'} must not be null"
    return f"{where}refused by the database (SQLSTATE {code})"
