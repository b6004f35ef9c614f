"""The bulk path's loader (aurion/ingest/bulk.py) on real PostgreSQL, as the functions' own role.

Each test writes an import file (NDJSON, sometimes gzip) of the live contract's events, loads it with
`load_file` as the bulk_import function does, and reads the rows back as the owner.
"""

from __future__ import annotations

import gc
import gzip
import io
import json
import uuid
from collections.abc import Iterable, Iterator

import pytest

from aurion.db import Database
from aurion.ingest.bulk import ImportFile, TenantUnknown, load_file
from aurion.ingest.bulk_lines import lines
from tests.support.ingest_events import HelpdeskEvents


@pytest.fixture
def ingest_db(app_env) -> Iterator[Database]:
    db = Database(app_env.database.app_url, statement_timeout_ms=20_000, connect_timeout_s=3)
    yield db
    db.close()


def ndjson(events: list[object]) -> bytes:
    return b"".join((e if isinstance(e, bytes) else json.dumps(e).encode()) + b"\n" for e in events)


def import_file(tenant: str, *, name: str = "history.ndjson", etag: str = "etag-1") -> ImportFile:
    return ImportFile(tenant_id=str(tenant), import_id=str(uuid.uuid4()), file_name=name, etag=etag)


def status(owner, file: ImportFile) -> list:
    return owner.run(
        "SELECT status, lines_done, rows_read, rows_applied, rows_unchanged, rows_rejected FROM import_files "
        "WHERE tenant_id = :t AND import_id = :i",
        t=file.tenant_id,
        i=file.import_id,
    )[0]


def rejects(owner, file: ImportFile) -> list:
    return owner.run(
        "SELECT line, reason FROM import_rejects WHERE tenant_id = :t AND import_id = :i ORDER BY line",
        t=file.tenant_id,
        i=file.import_id,
    )


def history(events: HelpdeskEvents, conversations: int) -> list[dict]:
    """A team, an agent, a contact, then conversations each with a survey and a call."""
    team = events.team()
    agent = events.user(team_id=team["data"]["id"])
    contact = events.contact()
    out = [team, agent, contact]
    for i in range(conversations):
        conversation = events.conversation(
            team_id=team["data"]["id"],
            assignee_user_id=agent["data"]["id"],
            contact_id=contact["data"]["id"],
            subject=f"Order {i}",
        )
        out += [
            conversation,
            events.csat(conversation["data"]["id"], contact_id=contact["data"]["id"]),
            events.call(conversation_id=conversation["data"]["id"]),
        ]
    return out


def test_a_gzip_file_is_applied_into_the_tenant_of_its_prefix(ingest_db, owner_conn, build):
    # Given a gzip NDJSON file of a tenant's history: team, agent, contact, 25 conversations with survey and call
    tenant = build.tenant()
    body = gzip.compress(ndjson(history(HelpdeskEvents(tenant), 25)))
    file = import_file(tenant, name="history.ndjson.gz")
    # When it is loaded, in chunks smaller than the file
    result = load_file(ingest_db, file, lines(io.BytesIO(body)), chunk_lines=7)
    # Then every row is in the tenant, and the file's status counts them

    assert (result.status, result.rows_read, result.rows_applied, result.rows_rejected) == ("completed", 78, 78, 0)
    counts = owner_conn.run(
        "SELECT (SELECT count(*) FROM conversations WHERE tenant_id = :t), "
        "(SELECT count(*) FROM csat_surveys WHERE tenant_id = :t), (SELECT count(*) FROM calls WHERE tenant_id = :t)",
        t=tenant,
    )
    assert counts == [[25, 25, 25]]
    assert status(owner_conn, file) == ["completed", 78, 78, 78, 0, 0]


def test_a_file_with_bad_lines_applies_the_good_ones_and_records_each_bad_line_without_its_content(
    ingest_db, owner_conn, build
):
    # Given a file whose line 2 is not JSON, line 3 breaks the contract, line 4 names another tenant, line 5 is blank
    tenant, other = build.tenant(), build.tenant()
    events = HelpdeskEvents(tenant)
    wrong = events.contact(email="carla.secret@example.org")
    wrong["data"]["phone"] = "0612345678"  # not E.164
    foreign = HelpdeskEvents(other).team(name="Elsewhere")
    good = [events.team(name="Kept"), events.team(name="Also kept")]
    body = ndjson([good[0], b'{"type": "team.v1", oops', wrong, foreign, b"", good[1]])
    file = import_file(tenant)
    # When it is loaded
    result = load_file(ingest_db, file, lines(io.BytesIO(body)))
    # Then the two good lines are applied, the three bad ones recorded by number and reason, the blank one skipped
    assert (result.rows_read, result.rows_applied, result.rows_rejected) == (5, 2, 3)
    assert owner_conn.run("SELECT name FROM teams WHERE tenant_id = :t ORDER BY name", t=tenant) == [
        ["Also kept"],
        ["Kept"],
    ]
    recorded = rejects(owner_conn, file)
    assert [line for line, _ in recorded] == [2, 3, 4]
    assert recorded[0][1] == "not a JSON line"
    assert recorded[1][1].startswith("data.phone: String should match pattern")
    assert recorded[2][1].startswith("tenant_id: not the tenant of the import")
    # And no reason quotes the line's content
    assert not any("carla" in reason or "0612345678" in reason for _, reason in recorded)
    # And nothing was written into the other tenant
    assert owner_conn.run("SELECT count(*) FROM teams WHERE tenant_id = :t", t=other) == [[0]]


def test_a_line_referring_to_another_tenants_row_is_rejected_and_the_rest_applied(ingest_db, owner_conn, build):
    # Given a team of another tenant, and a file whose conversation names that team
    tenant, other = build.tenant(), build.tenant()
    theirs = build.team(other, "Theirs")
    events = HelpdeskEvents(tenant)
    hijack = events.team(name="Taken over")
    hijack["data"]["id"] = str(theirs)
    body = ndjson([events.conversation(team_id=str(theirs)), events.team(name="Ours"), hijack])
    file = import_file(tenant)
    # When it is loaded
    result = load_file(ingest_db, file, lines(io.BytesIO(body)))
    # Then the conversation is rejected with the field at fault, the team applied
    assert (result.rows_applied, result.rows_rejected) == (1, 2)
    assert rejects(owner_conn, file) == [
        [1, "data.team_id: refers to another tenant's row (teams)"],
        [3, "data.id: is the id of another tenant's row (teams)"],
    ]
    assert owner_conn.run("SELECT count(*) FROM conversations WHERE tenant_id = :t", t=tenant) == [[0]]
    assert owner_conn.run("SELECT tenant_id, name FROM teams WHERE id = :id", id=theirs) == [[other, "Theirs"]]


def test_the_newest_version_wins_within_a_file_and_over_rows_already_there(ingest_db, owner_conn, build):
    # Given a team at version 5 already applied, and a file holding versions 2 and 7 of it and a conversation
    # at versions 3 then 1
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    team_v5 = events.team(version=5, name="v5")
    load_file(ingest_db, import_file(tenant), lines(io.BytesIO(ndjson([team_v5]))))
    team_v2, team_v7 = events.team(version=2, name="v2"), events.team(version=7, name="v7")
    conv_v3, conv_v1 = events.conversation(version=3, status="pending"), events.conversation(version=1)
    for event in (team_v2, team_v7):
        event["data"]["id"] = team_v5["data"]["id"]
    conv_v1["data"]["id"] = conv_v3["data"]["id"]
    file = import_file(tenant)
    # When it is loaded
    result = load_file(ingest_db, file, lines(io.BytesIO(ndjson([team_v2, conv_v3, team_v7, conv_v1]))))
    # Then the newest of each wins: two rows written, two lines unchanged
    assert (result.rows_applied, result.rows_unchanged) == (2, 2)
    assert owner_conn.run("SELECT name, source_version FROM teams WHERE tenant_id = :t", t=tenant) == [["v7", 7]]
    assert owner_conn.run("SELECT status FROM conversations WHERE tenant_id = :t", t=tenant) == [["pending"]]


def test_the_same_file_notified_twice_is_loaded_once_and_a_replaced_file_changes_nothing_it_holds(
    ingest_db, owner_conn, build
):
    # Given a file loaded once
    tenant = build.tenant()
    body = ndjson(history(HelpdeskEvents(tenant), 3))
    file = import_file(tenant)
    load_file(ingest_db, file, lines(io.BytesIO(body)))
    before = owner_conn.run("SELECT id, xmin::text FROM conversations WHERE tenant_id = :t ORDER BY id", t=tenant)
    # When the same notification comes again, and then the file is uploaded again (another ETag, same events)
    again = load_file(ingest_db, file, lines(io.BytesIO(body)))
    replaced = load_file(
        ingest_db, ImportFile(file.tenant_id, file.import_id, file.file_name, "etag-2"), lines(io.BytesIO(body))
    )
    # Then the first is skipped (its status as it was), the second reads every line and writes none
    assert (again.rows_read, again.rows_applied) == (12, 12)
    assert (replaced.rows_read, replaced.rows_applied, replaced.rows_unchanged) == (12, 0, 12)
    after = owner_conn.run("SELECT id, xmin::text FROM conversations WHERE tenant_id = :t ORDER BY id", t=tenant)
    assert after == before


class Killed(Exception):
    pass


def killed_at(stream: Iterable[bytes], line: int) -> Iterator[bytes]:
    """The file as a loader killed while reading line `line` sees it."""
    for n, raw in enumerate(stream, start=1):
        if n == line:
            raise Killed
        yield raw


def test_a_loader_killed_half_way_and_started_again_ends_in_the_state_of_one_run(ingest_db, owner_conn, build):
    # Given a history of 65 lines with two bad ones (lines 10 and 40), loaded in one run into tenant one
    one, two = HelpdeskEvents(build.tenant()), HelpdeskEvents(build.tenant())
    template = history(one, 20)
    # Tenant two gets the same history under ids of its own (an id is unique across tenants)
    ids = {event["data"]["id"] for event in template}
    renamed = {old: str(uuid.uuid5(uuid.NAMESPACE_URL, old)) for old in ids}

    def file_for(events: HelpdeskEvents, names: dict[str, str]) -> bytes:
        text = [json.dumps({**event, "tenant_id": events.tenant_id}) for event in template]
        for old, new in names.items():
            text = [line.replace(old, new) for line in text]
        rows = [line.encode() for line in text]
        rows.insert(9, b"not json")
        rows.insert(39, b'{"type": "team.v1"}')
        return b"\n".join(rows) + b"\n"

    whole = import_file(one.tenant_id)
    load_file(ingest_db, whole, lines(io.BytesIO(file_for(one, {}))), chunk_lines=8)
    # When tenant two's file is loaded by a loader killed while reading line 37 (after 4 chunks committed),
    # then started again
    resumed = import_file(two.tenant_id)
    with pytest.raises(Killed):
        load_file(ingest_db, resumed, killed_at(lines(io.BytesIO(file_for(two, renamed))), 37), chunk_lines=8)
    assert status(owner_conn, resumed)[:2] == ["loading", 32]
    load_file(ingest_db, resumed, lines(io.BytesIO(file_for(two, renamed))), chunk_lines=8)
    # Then the status, the rejects and the rows are those of the single run
    assert status(owner_conn, resumed) == status(owner_conn, whole) == ["completed", 65, 65, 63, 0, 2]
    assert (
        rejects(owner_conn, resumed)
        == rejects(owner_conn, whole)
        == [
            [10, "not a JSON line"],
            [
                40,
                "tenant_id: Field required; event_id: Field required; occurred_at: Field required; "
                "data: Field required",
            ],
        ]
    )
    back = {new: old for old, new in renamed.items()}
    for table in ("teams", "users", "contacts", "conversations", "csat_surveys", "calls"):
        sql = f"SELECT id::text, source_version FROM {table} WHERE tenant_id = :t ORDER BY id"
        ones = owner_conn.run(sql, t=one.tenant_id)
        twos = sorted([back[id_], version] for id_, version in owner_conn.run(sql, t=two.tenant_id))
        assert ones != []
        assert twos == sorted(ones)


def test_a_file_starting_with_its_tenant_creates_it_and_loads(ingest_db, owner_conn):
    # Given a tenant analytics has not heard of, and a file whose first line is its tenant.v1
    events = HelpdeskEvents(uuid.uuid4())
    body = ndjson([events.tenant(name="Arrived By File"), events.team(name="Tier 1")])
    # When it is loaded
    result = load_file(ingest_db, import_file(events.tenant_id), lines(io.BytesIO(body)))
    # Then the tenant exists and its team is applied
    assert result.rows_rejected == 0
    assert owner_conn.run("SELECT name FROM tenants WHERE id = :t", t=events.tenant_id) == [["Arrived By File"]]
    assert owner_conn.run("SELECT name FROM teams WHERE tenant_id = :t", t=events.tenant_id) == [["Tier 1"]]


def test_a_file_of_an_unknown_tenant_waits_for_its_tenant(ingest_db, owner_conn):
    # Given a tenant analytics has not heard of, and a file that does not create it
    events = HelpdeskEvents(uuid.uuid4())
    body = ndjson([events.team(name="Tier 1")])
    # When it is loaded, then it is retried later (the queue delivers it again), and nothing is written
    with pytest.raises(TenantUnknown):
        load_file(ingest_db, import_file(events.tenant_id), lines(io.BytesIO(body)))
    assert owner_conn.run("SELECT count(*) FROM teams WHERE tenant_id = :t", t=events.tenant_id) == [[0]]


def test_a_row_the_database_refuses_is_rejected_alone_and_the_rest_of_its_chunk_applied(ingest_db, owner_conn, build):
    # Given a file whose tenant line takes a slug another tenant holds (unique across tenants), and a team
    tenant, taken = build.tenant(), build.tenant()
    slug = owner_conn.run("SELECT slug FROM tenants WHERE id = :t", t=taken)[0][0]
    events = HelpdeskEvents(tenant)
    file = import_file(tenant)
    # When it is loaded
    result = load_file(ingest_db, file, lines(io.BytesIO(ndjson([events.tenant(slug=slug), events.team()]))))
    # Then the tenant line is rejected with the constraint's name, never the value; the team is applied
    assert (result.rows_applied, result.rows_rejected) == (1, 1)
    assert rejects(owner_conn, file) == [
        [1, "tenants: conflicts with another row (unique constraint tenants_slug_key)"]
    ]


def test_a_corrupt_gzip_file_fails_after_the_lines_it_could_read(ingest_db, owner_conn, build):
    # Given a gzip file cut in the middle of its data
    tenant = build.tenant()
    body = gzip.compress(ndjson(history(HelpdeskEvents(tenant), 400)))
    file = import_file(tenant, name="cut.ndjson.gz")
    # When it is loaded
    result = load_file(ingest_db, file, lines(io.BytesIO(body[: len(body) // 2])), chunk_lines=100)
    # Then the file is failed with a reason naming no content, and the chunks read before are kept
    assert result.status == "failed"
    error = owner_conn.run("SELECT error FROM import_files WHERE import_id = :i", i=file.import_id)[0][0]
    assert error == "the file cannot be read: EOFError"
    assert 0 < result.rows_applied < 1203


@pytest.mark.parametrize("enabled", [True, False])
def test_a_load_leaves_the_cyclic_garbage_collector_as_it_found_it(ingest_db, build, enabled):
    # Given the collector on (as always) or switched off by someone else
    tenant = build.tenant()
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        # When a file with a wrong line is loaded (the loader holds the collector off while it validates)
        body = ndjson([*history(HelpdeskEvents(tenant), 5), b"not json"])
        result = load_file(ingest_db, import_file(tenant), lines(io.BytesIO(body)), chunk_lines=7)
        # Then the collector is as it was, and the load as ever
        assert gc.isenabled() is enabled
        assert (result.status, result.rows_rejected) == ("completed", 1)
    finally:
        (gc.enable if was else gc.disable)()


def test_a_large_load_leaves_the_planner_statistics_current(ingest_db, owner_conn, build):
    # Given a table whose statistics were never gathered for this tenant's rows
    tenant = build.tenant()
    before = owner_conn.run(
        "SELECT coalesce(max(last_analyze), 'epoch') FROM pg_stat_user_tables WHERE relname = 'calls'"
    )[0][0]
    # When a file of more rows than the threshold is loaded
    load_file(
        ingest_db,
        import_file(tenant),
        lines(io.BytesIO(ndjson(history(HelpdeskEvents(tenant), 10)))),
        analyze_after_rows=20,
    )
    # Then the tables it wrote were analyzed by the loader itself (not autovacuum): the planner's row counts are
    # the tables' and no change is left unanalyzed
    after = owner_conn.run("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'calls'")[0][0]
    assert after is not None
    assert after > before
    for table in ("conversations", "csat_surveys", "calls"):
        rows = owner_conn.run(f"SELECT count(*) FROM {table}")[0][0]
        reltuples, changed = owner_conn.run(
            "SELECT c.reltuples, s.n_mod_since_analyze FROM pg_class AS c "
            "JOIN pg_stat_user_tables AS s ON s.relid = c.oid WHERE c.relname = :t",
            t=table,
        )[0]
        assert (table, int(reltuples), changed) == (table, rows, 0)


def last_analyze(owner, table: str) -> object:
    return owner.run("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t", t=table)[0][0]


def planned_rows(owner, table: str, tenant: str) -> float | None:
    """The planner's count of the tenant's rows: its tenant_id frequency among the common values, times the table's."""
    return owner.run(
        "SELECT s.most_common_freqs[array_position(CAST(CAST(s.most_common_vals AS text) AS uuid[]), "
        "CAST(:tenant AS uuid))] * c.reltuples FROM pg_stats AS s JOIN pg_class AS c ON c.relname = s.tablename "
        "WHERE s.schemaname = 'public' AND s.tablename = :t AND s.attname = 'tenant_id'",
        t=table,
        tenant=str(tenant),
    )[0][0]


def test_a_load_adding_a_tenth_or_less_to_the_tenants_counted_rows_leaves_that_table_unanalyzed(
    ingest_db, owner_conn, build
):
    # Given a tenant whose 300 conversations the planner's statistics count (a first load analyzed them; in a
    # database shared with other tests the count is a sample's, so the next files are sized from it)
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    load_file(ingest_db, import_file(tenant), lines(io.BytesIO(ndjson(history(events, 300)))), analyze_after_rows=20)
    counted = planned_rows(owner_conn, "conversations", tenant)
    assert counted is not None
    assert counted > 100
    analyzed = last_analyze(owner_conn, "conversations")
    # When a file adds 5 % of that count, more rows than the loader's threshold
    small = ndjson(history(events, int(counted * 0.05)))
    load_file(ingest_db, import_file(tenant), lines(io.BytesIO(small)), analyze_after_rows=10)
    # Then ANALYZE left conversations alone: its statistics still count the tenant within a tenth
    assert last_analyze(owner_conn, "conversations") == analyzed
    # And a file adding 20 % gets the table analyzed again, with no change left unanalyzed
    large = ndjson(history(events, int(counted * 0.2)))
    load_file(ingest_db, import_file(tenant), lines(io.BytesIO(large)), analyze_after_rows=10)
    assert last_analyze(owner_conn, "conversations") > analyzed
    changed = owner_conn.run("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'conversations'")
    assert changed == [[0]]


def test_a_contact_erased_live_stays_erased_when_an_import_brings_its_snapshot_back(ingest_db, owner_conn, build):
    # Given a contact erased through the live path (right to be forgotten)
    from aurion.ingest.consumer import consume
    from tests.support.ingest_events import messages

    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    contact = events.contact(name="Carla Customer", email="carla@example.org", phone="+33612345678")
    consume(ingest_db, messages([contact, events.erasure("contact", contact["data"]["id"])]))
    # When a history file holds a newer snapshot of that contact, with its personal data
    newer = events.contact(version=9, name="Carla Customer", email="carla@example.org", phone="+33612345678")
    newer["data"]["id"] = contact["data"]["id"]
    load_file(ingest_db, import_file(tenant), lines(io.BytesIO(ndjson([newer]))))
    # Then the row keeps no trace of her name, email or number
    assert owner_conn.run("SELECT name, email, phone FROM contacts WHERE id = :id", id=contact["data"]["id"]) == [
        ["", None, None]
    ]
