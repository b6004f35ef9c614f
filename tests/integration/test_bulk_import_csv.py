"""CSV import files (aurion/ingest/bulk_csv.py) through the bulk loader on real PostgreSQL, as the functions' role:
the same rows as the NDJSON file of the same events, and the same rules and rejects, numbered as a spreadsheet's
rows."""

from __future__ import annotations

import csv
import gzip
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from aurion.db import Database
from aurion.ingest.bulk import ImportFile, load_file
from aurion.ingest.bulk_csv import file_lines, is_csv
from aurion.ingest.bulk_lines import lines
from tests.support.ingest_events import HelpdeskEvents

ENVELOPE = ["type", "tenant_id", "event_id", "occurred_at", "version", "updated_at"]


@pytest.fixture
def ingest_db(app_env) -> Iterator[Database]:
    db = Database(app_env.database.app_url, statement_timeout_ms=20_000, connect_timeout_s=3)
    yield db
    db.close()


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def as_csv(events: list[dict[str, Any]]) -> bytes:
    """The events as one CSV file: the envelope's columns, then every snapshot field any of them has."""
    fields = sorted({name for event in events for name in event["data"]})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ENVELOPE + [f"data.{name}" for name in fields])
    for event in events:
        writer.writerow([cell(event.get(name)) for name in ENVELOPE] + [cell(event["data"].get(f)) for f in fields])
    return out.getvalue().encode()


def load(db: Database, tenant: str, name: str, body: bytes, **options: Any):
    file = ImportFile(tenant_id=str(tenant), import_id=str(uuid.uuid4()), file_name=name, etag="etag-1")
    numbered, first_line = file_lines(io.BytesIO(body), name)
    return file, load_file(db, file, numbered, first_line=first_line, **options)


def rejects(owner, file: ImportFile) -> list:
    return owner.run(
        "SELECT line, reason FROM import_rejects WHERE tenant_id = :t AND import_id = :i ORDER BY line",
        t=file.tenant_id,
        i=file.import_id,
    )


def history(events: HelpdeskEvents) -> list[dict[str, Any]]:
    """Every kind of cell: texts, ids, instants, integers, booleans (false and true), absent fields."""
    team = events.team(name="Tier 1")
    conversation = events.conversation(team_id=team["data"]["id"], subject='Order "42", late', escalated=True)
    resolved = {**conversation, "event_id": str(uuid.uuid4()), "version": 2,
                "data": {**conversation["data"], "status": "resolved", "resolved_at": "2025-03-03T11:00:00Z",
                         "resolved_by": "human"}}  # fmt: skip
    return [
        team,
        conversation,
        resolved,
        events.csat(conversation["data"]["id"], rating=4, responded_at="2025-03-03T12:00:00Z", comment="Fine"),
        events.call(conversation_id=conversation["data"]["id"], duration_seconds=360, first_call_resolution=True),
    ]


SNAPSHOT_SQL = {
    "teams": "SELECT name, source_version FROM teams WHERE tenant_id = :t",
    "conversations": "SELECT subject, status, escalated, resolved_at, source_version FROM conversations "
    "WHERE tenant_id = :t",
    "csat_surveys": "SELECT rating, comment, responded_at FROM csat_surveys WHERE tenant_id = :t",
    "calls": "SELECT duration_seconds, first_call_resolution, phone_number FROM calls WHERE tenant_id = :t",
}


def test_a_csv_file_ends_in_the_rows_of_the_ndjson_file_of_the_same_events(ingest_db, owner_conn, build):
    # Given the same history for two tenants, once as CSV and once as NDJSON
    as_table, as_lines = HelpdeskEvents(build.tenant()), HelpdeskEvents(build.tenant())
    table_events, line_events = history(as_table), history(as_lines)
    # When each is loaded
    _, from_csv = load(ingest_db, as_table.tenant_id, "history.csv", as_csv(table_events))
    ndjson = b"".join(json.dumps(event).encode() + b"\n" for event in line_events)
    _, from_ndjson = load(ingest_db, as_lines.tenant_id, "history.ndjson", ndjson)
    # Then both apply the same counts (the conversation's first version is superseded in the file) and the same rows
    assert (from_csv.rows_read, from_csv.rows_applied, from_csv.rows_rejected) == (5, 4, 0)
    assert (from_ndjson.rows_read, from_ndjson.rows_applied, from_ndjson.rows_rejected) == (5, 4, 0)
    for table, sql in SNAPSHOT_SQL.items():
        rows = owner_conn.run(sql, t=as_table.tenant_id)
        assert rows != []
        assert (table, rows) == (table, owner_conn.run(sql, t=as_lines.tenant_id))
    # And the newest version won, the quoted cell kept its quotes, booleans and integers are typed
    assert owner_conn.run(SNAPSHOT_SQL["conversations"], t=as_table.tenant_id)[0][:3] == [
        'Order "42", late',
        "resolved",
        True,
    ]
    assert owner_conn.run(SNAPSHOT_SQL["calls"], t=as_table.tenant_id)[0][:2] == [360, True]


def csv_text(header: list[str], events: list[dict[str, Any]], extra: dict[str, str] | None = None) -> list[str]:
    """One CSV line per event, in the header's columns (`data.x` from the snapshot, the rest from the envelope)."""

    def value(event: dict[str, Any], name: str) -> Any:
        return event["data"].get(name[5:]) if name.startswith("data.") else event.get(name)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for event in events:
        writer.writerow([cell(value(event, name)) for name in header])
    return out.getvalue().splitlines(keepends=True)


SURVEY = [*ENVELOPE, "data.id", "data.conversation_id", "data.channel", "data.sent_at", "data.rating",
          "data.responded_at", "data.mood"]  # fmt: skip


def test_bad_records_are_rejected_with_their_row_number_and_the_good_ones_applied(ingest_db, owner_conn, build):
    # Given a survey CSV whose line 2 is good, line 3 has a cell too many, line 4 a rating that is no integer,
    # line 5 fills a column the contract does not know (data.mood), line 6 is good
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    conversation = str(uuid.uuid4())
    surveys = [events.csat(conversation, rating=4, responded_at="2025-03-03T12:00:00Z") for _ in range(5)]
    text = csv_text(SURVEY, surveys)
    text[2] = text[2].rstrip("\n") + ",extra\n"
    text[3] = text[3].replace(",4,", ",four,")
    text[4] = text[4].rstrip("\n") + "happy\n"
    # When it is loaded
    file, result = load(ingest_db, tenant, "surveys.csv", "".join(text).encode())
    # Then lines 2 and 6 are applied, and each bad line recorded by its number and the field at fault
    assert (result.rows_read, result.rows_applied, result.rows_rejected) == (5, 2, 3)
    assert owner_conn.run("SELECT count(*) FROM csat_surveys WHERE tenant_id = :t AND rating = 4", t=tenant) == [[2]]
    recorded = rejects(owner_conn, file)
    assert [line for line, _ in recorded] == [3, 4, 5]
    assert recorded[0][1] == "the record has 14 cells, the header 13"
    assert recorded[1][1].startswith("data.rating: Input should be a valid integer")
    assert recorded[2][1].startswith("data.mood: Extra inputs are not permitted")


def test_a_quoted_cell_over_two_lines_is_one_record_and_another_tenants_id_is_rejected(ingest_db, owner_conn, build):
    # Given a team of another tenant, and a CSV whose line 2 is a conversation with a subject of two lines (one
    # record, quoted), and line 3 a team taking the other tenant's team's id
    tenant, other = build.tenant(), build.tenant()
    theirs = HelpdeskEvents(other).team(name="Theirs")
    owner_conn.run(
        "INSERT INTO teams (id, tenant_id, name, created_at) VALUES (CAST(:i AS uuid), CAST(:t AS uuid), 'Theirs', "
        "now())",
        i=theirs["data"]["id"],
        t=str(other),
    )
    events = HelpdeskEvents(tenant)
    conversation = events.conversation(subject="First line\nsecond line")
    team = {**events.team(name="Mine"), "data": {**theirs["data"], "name": "Mine"}}
    header = [*ENVELOPE, "data.id", "data.name", "data.channel", "data.priority", "data.status", "data.subject",
              "data.created_at"]  # fmt: skip
    text = csv_text(header, [conversation, team])
    # When it is loaded
    file, result = load(ingest_db, tenant, "mixed.csv", "".join(text).encode())
    # Then the conversation keeps its two lines, and the team is rejected on line 3, the record's number
    assert len(text) == 4  # the quoted cell spans two physical lines
    assert (result.rows_read, result.rows_applied, result.rows_rejected) == (2, 1, 1)
    assert owner_conn.run("SELECT subject FROM conversations WHERE tenant_id = :t", t=tenant) == [
        ["First line\nsecond line"]
    ]
    assert rejects(owner_conn, file) == [[3, "data.id: is the id of another tenant's row (teams)"]]


def test_a_gzip_csv_is_read_by_its_name_and_a_file_that_is_not_utf8_fails_saying_so(ingest_db, owner_conn, build):
    # Given a gzip CSV and a CSV written in Latin-1
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    zipped = gzip.compress(as_csv([events.team(name="Zipped")]))
    latin = as_csv([events.team(name="Zoë")]).decode().encode("latin-1")
    # When both are loaded
    _, from_gzip = load(ingest_db, tenant, "teams.CSV.gz", zipped)
    file, from_latin = load(ingest_db, tenant, "latin.csv", latin)
    # Then the gzip one is applied, the other fails with the reason and writes nothing
    assert (from_gzip.status, from_gzip.rows_applied) == ("completed", 1)
    assert from_latin.status == "failed"
    assert owner_conn.run("SELECT error FROM import_files WHERE import_id = :i", i=file.import_id) == [
        ["the file is not UTF-8 text (line 2): CSV import files are UTF-8"]
    ]
    assert owner_conn.run("SELECT name FROM teams WHERE tenant_id = :t", t=tenant) == [["Zipped"]]


def test_a_csv_load_killed_half_way_and_started_again_ends_as_one_run(ingest_db, owner_conn, build):
    # Given a CSV of 30 teams whose record on line 12 is malformed
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    rows = as_csv([events.team(name=f"Team {n}") for n in range(30)]).decode().splitlines(keepends=True)
    rows[11] = "team.v1,not enough cells\r\n"
    body = "".join(rows).encode()
    file = ImportFile(tenant_id=str(tenant), import_id=str(uuid.uuid4()), file_name="teams.csv", etag="e")

    def killed_after(records: Iterator[bytes], count: int) -> Iterator[bytes]:
        for n, record in enumerate(records):
            if n == count:
                raise KeyboardInterrupt
            yield record

    # When a loader is killed while reading line 18 (chunks of 5 records: lines 2 to 16 committed)
    numbered, first_line = file_lines(io.BytesIO(body), file.file_name)
    with pytest.raises(KeyboardInterrupt):
        load_file(ingest_db, file, killed_after(numbered, 16), first_line=first_line, chunk_lines=5)
    done = owner_conn.run("SELECT lines_done FROM import_files WHERE import_id = :i", i=file.import_id)
    numbered, first_line = file_lines(io.BytesIO(body), file.file_name)
    result = load_file(ingest_db, file, numbered, first_line=first_line, chunk_lines=5)
    # Then it resumed after its checkpoint and ends with every good team once and the one reject
    assert done == [[16]]
    assert (result.status, result.rows_read, result.rows_applied, result.rows_rejected) == ("completed", 30, 29, 1)
    assert rejects(owner_conn, file) == [[12, "the record has 2 cells, the header 9"]]
    assert owner_conn.run("SELECT count(DISTINCT name) FROM teams WHERE tenant_id = :t", t=tenant) == [[29]]


def test_a_header_naming_a_column_twice_fails_the_file_before_any_record(ingest_db, owner_conn, build):
    # Given a CSV whose header has data.name twice
    tenant = build.tenant()
    team = HelpdeskEvents(tenant).team(name="Twice")
    header = [*ENVELOPE, "data.id", "data.name", "data.name", "data.created_at"]
    body = "".join(csv_text(header, [team])).encode()
    # When it is loaded
    file, result = load(ingest_db, tenant, "teams.csv", body)
    # Then the file fails, saying which column, and writes nothing
    assert (result.status, result.rows_read) == ("failed", 0)
    assert owner_conn.run("SELECT error FROM import_files WHERE import_id = :i", i=file.import_id) == [
        ["the CSV header names data.name more than once"]
    ]
    assert owner_conn.run("SELECT count(*) FROM teams WHERE tenant_id = :t", t=tenant) == [[0]]


def test_only_csv_names_are_read_as_csv():
    # Given names of import files / When asked / Then CSV is by name, gzip or not, and the rest is NDJSON
    assert [is_csv(n) for n in ("a.csv", "a.CSV.gz", "a.ndjson", "a.ndjson.gz", "csv", "a.csv.txt")] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    assert list(lines(io.BytesIO(b"x\ny"))) == [b"x", b"y"]
