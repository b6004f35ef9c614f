"""The merge rules of the live path (aurion/ingest/apply.py), on real PostgreSQL as the functions' own role.

Each test sends events through `consume` (what the ingest function runs on an SQS batch) and reads the rows
back as the owner, or the answers through the API handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pg8000.native
import pytest
from pg8000.exceptions import DatabaseError

from aurion.db import Database
from aurion.ingest.apply import ingest_transaction
from aurion.ingest.consumer import consume
from tests.support.api import caller_for, get
from tests.support.ingest_events import HelpdeskEvents, messages

RANGE = "date_from=2025-03-01&date_to=2025-03-31"
INSIGHTS = f"/api/v2/analytics/conversations/insights?{RANGE}"
OVERVIEW = f"/api/v2/analytics/conversations/overview?{RANGE}"


@pytest.fixture
def ingest_db(app_env) -> Iterator[Database]:
    """The functions' database connection (the app role); consume switches to the ingest role per transaction."""
    db = Database(app_env.database.app_url, statement_timeout_ms=10_000, connect_timeout_s=3)
    yield db
    db.close()


def row(owner: pg8000.native.Connection, sql: str, **params) -> list:
    rows = owner.run(sql, **params)
    return rows[0] if rows else None


def test_the_same_event_twice_changes_nothing(ingest_db, owner_conn, build):
    # Given a conversation applied once
    tenant = build.tenant()
    conversation = HelpdeskEvents(tenant).conversation(subject="First")
    first = consume(ingest_db, messages([conversation]))
    before = owner_conn.run("SELECT *, xmin::text FROM conversations WHERE tenant_id = :t", t=tenant)
    # When the very same event arrives again (a redelivery, or the source publishing twice)
    again = consume(ingest_db, messages([conversation]))
    # Then nothing is written: the row, its updated_at (which the aggregator watches) and even its version on disk
    assert (first.applied, again.applied, again.unchanged) == (1, 0, 1)
    assert owner_conn.run("SELECT *, xmin::text FROM conversations WHERE tenant_id = :t", t=tenant) == before


@pytest.mark.parametrize("ordering", ["version", "updated_at"])
def test_an_older_snapshot_arriving_after_a_newer_one_is_ignored(ingest_db, owner_conn, build, ordering):
    # Given version 2 (or the later updated_at) of a conversation, resolved, already applied
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    newer_order = {"version": 2} if ordering == "version" else {"version": None, "updated_at": "2025-03-03T10:00:00Z"}
    older_order = {"version": 1} if ordering == "version" else {"version": None, "updated_at": "2025-03-03T09:30:00Z"}
    newer = events.conversation(
        **newer_order, status="resolved", resolved_at="2025-03-03T10:00:00Z", resolved_by="human"
    )
    older = events.conversation(**older_order, status="open")
    older["data"]["id"] = newer["data"]["id"]
    consume(ingest_db, messages([newer]))
    # When the older snapshot arrives late
    report = consume(ingest_db, messages([older]))
    # Then the row keeps the newer state
    assert (report.applied, report.unchanged) == (0, 1)
    status = row(owner_conn, "SELECT status, resolved_by FROM conversations WHERE id = :id", id=newer["data"]["id"])
    assert status == ["resolved", "human"]


def test_in_one_batch_the_newest_snapshot_of_an_entity_wins_whatever_the_order(ingest_db, owner_conn, build):
    # Given three versions of one team in one batch, newest in the middle
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    versions = [events.team(version=v, name=f"Team v{v}") for v in (1, 3, 2)]
    for event in versions[1:]:
        event["data"]["id"] = versions[0]["data"]["id"]
    # When the batch is applied
    report = consume(ingest_db, messages(versions))
    # Then one row holds version 3; the other two count as unchanged
    assert (report.applied, report.unchanged) == (1, 2)
    assert row(owner_conn, "SELECT name, source_version FROM teams WHERE tenant_id = :t", t=tenant) == ["Team v3", 3]


def test_a_newer_snapshot_replaces_a_row_written_before_ingestion_existed(ingest_db, owner_conn, build):
    # Given a team the generator wrote directly (no source version)
    tenant = build.tenant()
    team = build.team(tenant, "Old name")
    # When its first event arrives
    event = HelpdeskEvents(tenant).team(version=1, name="New name")
    event["data"]["id"] = str(team)
    consume(ingest_db, messages([event]))
    # Then the event's state replaces it
    assert row(owner_conn, "SELECT name, source_version FROM teams WHERE id = :id", id=team) == ["New name", 1]


def test_a_conversation_before_its_team_agent_and_contact_is_kept_and_joins_them_when_they_arrive(
    ingest_db, owner_conn, build, functions
):
    # Given a resolved conversation whose team, agent and contact the analytics have never seen
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    team, agent, contact = events.team(name="Billing"), events.user(name="Bea Agent"), events.contact()
    conversation = events.conversation(
        team_id=team["data"]["id"],
        assignee_user_id=agent["data"]["id"],
        contact_id=contact["data"]["id"],
        status="resolved",
        resolved_at="2025-03-03T10:00:00Z",
        resolved_by="human",
    )
    report = consume(ingest_db, messages([conversation]))
    # Then it is stored (never dropped), with its references as given, and counted
    assert report.applied == 1
    stored = row(
        owner_conn, "SELECT team_id, assignee_user_id, contact_id FROM conversations WHERE tenant_id = :t", t=tenant
    )
    assert [str(value) for value in stored] == [team["data"]["id"], agent["data"]["id"], contact["data"]["id"]]
    api = functions("conversation_analytics")
    assert get(api, OVERVIEW, caller_for(tenant)).body["total_conversations"] == 1
    before = get(api, INSIGHTS, caller_for(tenant)).body
    assert before["agent_performance"] == []
    assert before["team_performance"] == []
    # When the team, agent and contact arrive later
    consume(ingest_db, messages([team, agent, contact]))
    # Then the same conversation shows under its team and agent, with no further write to it
    after = get(api, INSIGHTS, caller_for(tenant)).body
    assert [(t["team_name"], t["assigned_count"]) for t in after["team_performance"]] == [("Billing", 1)]
    assert [(a["assignee_name"], a["resolved_count"]) for a in after["agent_performance"]] == [("Bea Agent", 1)]


def test_an_event_referring_to_another_tenants_row_is_rejected_and_writes_nothing(ingest_db, owner_conn, build):
    # Given a team of tenant B
    tenant_a, tenant_b = build.tenant(), build.tenant()
    b_team = HelpdeskEvents(tenant_b).team(name="B's team")
    consume(ingest_db, messages([b_team]))
    # When tenant A's conversation names B's team, and A's team event reuses the id of B's team
    events = HelpdeskEvents(tenant_a)
    conversation = events.conversation(team_id=b_team["data"]["id"])
    hijack = events.team(name="Taken over")
    hijack["data"]["id"] = b_team["data"]["id"]
    fine = events.team(name="A's own team")
    report = consume(ingest_db, messages([conversation, hijack, fine]))
    # Then both are rejected with the reason recorded in A's rejections; A's other event is applied; B is untouched
    assert (report.applied, report.rejected, report.retry) == (1, 2, {})
    reasons = dict(owner_conn.run("SELECT event_type, reason FROM ingest_rejections WHERE tenant_id = :t", t=tenant_a))
    assert reasons == {
        "conversation.v1": "data.team_id: refers to another tenant's row (teams)",
        "team.v1": "data.id: is the id of another tenant's row (teams)",
    }
    assert owner_conn.run("SELECT count(*) FROM conversations WHERE tenant_id = :t", t=tenant_a) == [[0]]
    assert row(owner_conn, "SELECT tenant_id, name FROM teams WHERE id = :id", id=b_team["data"]["id"]) == [
        tenant_b,
        "B's team",
    ]


def test_rows_are_written_into_the_envelopes_tenant_only(ingest_db, owner_conn, build):
    # Given two tenants and a batch mixing their events
    tenant_a, tenant_b = build.tenant(), build.tenant()
    a, b = HelpdeskEvents(tenant_a), HelpdeskEvents(tenant_b)
    consume(ingest_db, messages([a.team(name="A1"), b.team(name="B1"), a.team(name="A2")]))
    # Then each row carries the tenant its envelope named
    by_tenant = owner_conn.run(
        "SELECT tenant_id, array_agg(name ORDER BY name) FROM teams WHERE tenant_id IN (:a, :b) GROUP BY 1",
        a=tenant_a,
        b=tenant_b,
    )
    assert dict((str(t), names) for t, names in by_tenant) == {str(tenant_a): ["A1", "A2"], str(tenant_b): ["B1"]}


def test_the_ingest_role_cannot_write_a_row_of_another_tenant_even_when_asked_to(ingest_db, build):
    # Given an ingest transaction of tenant A
    tenant_a, tenant_b = build.tenant(), build.tenant()
    # When a statement tries to write a row of tenant B (a bug the merge rules must never rely on avoiding)
    with pytest.raises(DatabaseError) as refused, ingest_transaction(ingest_db, str(tenant_a)) as tx:
        tx.execute(
            "INSERT INTO teams (id, tenant_id, name) VALUES (CAST(:id AS uuid), CAST(:b AS uuid), 'x')",
            id=str(uuid.uuid4()),
            b=str(tenant_b),
        )
    # Then row-level security refuses it
    assert "row-level security" in str(refused.value)


def test_the_api_functions_role_cannot_write_helpdesk_data_without_switching_to_the_ingest_role(ingest_db, build):
    # Given a transaction of the functions' role as the API runs it (no SET ROLE)
    tenant = build.tenant()
    with pytest.raises(DatabaseError) as refused, ingest_db.transaction(str(tenant)) as tx:
        # When it tries to write a helpdesk row of its own tenant
        tx.execute(
            "INSERT INTO teams (id, tenant_id, name) VALUES (CAST(:id AS uuid), CAST(:t AS uuid), 'x')",
            id=str(uuid.uuid4()),
            t=str(tenant),
        )
    # Then it has no privilege to: writing is the ingest consumer's alone
    assert "permission denied" in str(refused.value)


def test_an_invalid_event_is_recorded_and_the_rest_of_its_batch_applied(ingest_db, owner_conn, build):
    # Given a batch: a valid team, a conversation with an unknown status and an extra field, a valid contact
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    broken = events.conversation(status="snoozed")
    broken["data"]["mood"] = "grumpy"
    report = consume(ingest_db, messages([events.team(), broken, events.contact()]))
    # Then the valid ones are applied, the broken one is acknowledged (not retried) and recorded with its reasons
    assert (report.applied, report.rejected, report.retry) == (2, 1, {})
    rejection = row(
        owner_conn,
        "SELECT event_key, event_type, entity_id, source_version, reason FROM ingest_rejections WHERE tenant_id = :t",
        t=tenant,
    )
    assert rejection[:4] == [broken["event_id"], "conversation.v1", broken["data"]["id"], 1]
    assert rejection[4] == (
        "data.status: Input should be 'open', 'pending', 'resolved' or 'closed'; "
        "data.mood: Extra inputs are not permitted"
    )
    assert owner_conn.run("SELECT count(*) FROM conversations WHERE tenant_id = :t", t=tenant) == [[0]]


def test_a_rejected_event_delivered_again_is_recorded_once(ingest_db, owner_conn, build):
    tenant = build.tenant()
    broken = HelpdeskEvents(tenant).team(name="")
    consume(ingest_db, messages([broken]))
    consume(ingest_db, messages([broken]))
    assert owner_conn.run("SELECT count(*) FROM ingest_rejections WHERE tenant_id = :t", t=tenant) == [[1]]


def test_events_of_a_tenant_not_provisioned_yet_are_held_until_its_tenant_event_arrives(ingest_db, owner_conn):
    # Given events of a tenant analytics does not know yet
    tenant = str(uuid.uuid4())
    events = HelpdeskEvents(tenant)
    early = messages([events.team(), events.conversation()])
    # When they arrive before the tenant
    held = consume(ingest_db, early)
    # Then they are reported for retry (nothing to write them into), not rejected
    assert set(held.retry) == {message_id for message_id, _ in early}
    assert (held.applied, held.rejected) == (0, 0)
    # And once the tenant event came, their redelivery applies them
    consume(ingest_db, messages([events.tenant()]))
    retried = consume(ingest_db, early)
    assert (retried.applied, retried.retry) == (2, {})
    assert owner_conn.run("SELECT plan FROM tenants WHERE id = :t", t=tenant) == [["professional"]]


def test_a_tenant_event_never_changes_the_admins_api_key_setting(ingest_db, owner_conn, build):
    tenant = build.tenant()
    owner_conn.run("UPDATE tenants SET api_keys_enabled = true WHERE id = :t", t=tenant)
    consume(ingest_db, messages([HelpdeskEvents(tenant).tenant(plan="enterprise", name="Renamed")]))
    assert row(owner_conn, "SELECT plan, name, api_keys_enabled FROM tenants WHERE id = :t", t=tenant) == [
        "enterprise",
        "Renamed",
        True,
    ]


def test_a_row_the_database_refuses_is_rejected_alone_and_the_rest_applied(ingest_db, owner_conn, build):
    # Given a tenant event whose slug another tenant already holds (unique across tenants), batched with a team
    taken = build.tenant()
    slug = owner_conn.run("SELECT slug FROM tenants WHERE id = :t", t=taken)[0][0]
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    report = consume(ingest_db, messages([events.tenant(slug=slug), events.team(name="Kept")]))
    # Then the tenant event is rejected with the constraint's name (never the value), and the team applied
    assert (report.applied, report.rejected, report.retry) == (1, 1, {})
    assert owner_conn.run("SELECT reason FROM ingest_rejections WHERE tenant_id = :t", t=tenant) == [
        ["tenants: conflicts with another row (unique constraint tenants_slug_key)"]
    ]
    assert owner_conn.run("SELECT name FROM teams WHERE tenant_id = :t", t=tenant) == [["Kept"]]


def test_a_message_naming_no_tenant_is_reported_failed_for_the_dead_letter_queue(ingest_db, build):
    tenant = build.tenant()
    batch = messages(["not json", {"type": "team.v1", "data": {}}, HelpdeskEvents(tenant).team()])
    report = consume(ingest_db, batch)
    assert report.retry == {
        batch[0][0]: "body is not JSON",
        batch[1][0]: "detail.tenant_id missing or not a UUID",
    }
    assert report.applied == 1


def test_when_the_database_is_unreachable_every_message_of_the_batch_is_retried(build):
    tenant = build.tenant()
    unreachable = Database("postgresql://nobody@127.0.0.1:1/none", statement_timeout_ms=1000, connect_timeout_s=1)
    batch = messages([HelpdeskEvents(tenant).team(), HelpdeskEvents(tenant).contact()])
    report = consume(unreachable, batch)
    assert set(report.retry) == {message_id for message_id, _ in batch}
    assert report.applied == 0


DOOR_SQL = "SELECT kind, id::text FROM aurion_ingest_foreign_ids(CAST(:kinds AS text[]), CAST(:ids AS uuid[]))"


def test_the_reference_door_names_exactly_the_ids_of_other_tenants_for_every_kind(ingest_db, owner_conn, build):
    # Given one row of every kind in tenant A and in tenant B
    tenant_a, tenant_b = build.tenant(), build.tenant()
    kinds = (
        "teams",
        "users",
        "contacts",
        "email_channels",
        "help_center_articles",
        "conversations",
        "csat_surveys",
        "calls",
    )
    rows = {}
    for tenant in (tenant_a, tenant_b):
        e = HelpdeskEvents(tenant)
        conversation = e.conversation()
        batch = [e.team(), e.user(), e.contact(), e.email_channel(), e.article(), conversation,
                 e.csat(conversation["data"]["id"]), e.call()]  # fmt: skip
        consume(ingest_db, messages(batch))
        rows[tenant] = [event["data"]["id"] for event in batch]
    unknown = [str(uuid.uuid4()) for _ in kinds]
    asked = {"kinds": list(kinds) * 3, "ids": rows[tenant_a] + rows[tenant_b] + unknown}
    # When tenant A's ingest transaction asks the door about A's, B's and unknown ids
    with ingest_transaction(ingest_db, str(tenant_a)) as tx:
        foreign = {(row["kind"], row["id"]) for row in tx.all(DOOR_SQL, **asked)}
    # Then exactly B's ids are named, each under its kind
    assert foreign == set(zip(kinds, rows[tenant_b], strict=True))
    # And without a tenant every existing id counts as foreign
    with ingest_db.transaction(None) as tx:
        tx.execute("SET LOCAL ROLE aurion_ingest")
        assert len(tx.all(DOOR_SQL, **asked)) == 2 * len(kinds)
