"""Erasure events on the live path (aurion/ingest/erasure.py): what they empty, and that nothing restores it.

Each test sends events through `consume` (what the ingest function runs on an SQS batch) as the functions' role,
and reads rows back as the owner.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator

import pytest

from aurion.db import Database
from aurion.ingest.bulk import ImportFile, load_file
from aurion.ingest.bulk_lines import lines
from aurion.ingest.consumer import consume
from tests.support.ingest_events import HelpdeskEvents, messages

NAME, EMAIL, PHONE = "Zoltan Quimby", "zoltan.quimby@example.org", "+33687654321"


@pytest.fixture
def ingest_db(app_env) -> Iterator[Database]:
    db = Database(app_env.database.app_url, statement_timeout_ms=10_000, connect_timeout_s=3)
    yield db
    db.close()


def _tenant(build, ingest_db) -> tuple[uuid.UUID, HelpdeskEvents]:
    tenant = build.tenant()
    return tenant, HelpdeskEvents(tenant)


def _contact_with_history(events: HelpdeskEvents) -> dict[str, dict]:
    """A contact, a conversation of theirs with a survey answered in words and a call, and a call from their number
    with no conversation."""
    contact = events.contact(name=NAME, email=EMAIL, phone=PHONE, version=2)
    conversation = events.conversation(contact_id=contact["data"]["id"], subject=f"Refund for {NAME}")
    survey = events.csat(conversation["data"]["id"], responded_at="2025-03-03T10:00:00Z", rating=2,
                         comment=f"Call me on {PHONE}", followup_answer=f"Write to {EMAIL}")  # fmt: skip
    call = events.call(conversation_id=conversation["data"]["id"], phone_number=PHONE, transcript=f"I am {NAME}")
    stray_call = events.call(phone_number=PHONE, transcript="Hello, it is me again")
    return {"contact": contact, "conversation": conversation, "survey": survey, "call": call, "stray": stray_call}


def _rows(owner_conn, tenant) -> dict[str, list]:
    return {
        "contacts": owner_conn.run("SELECT name, email, phone FROM contacts WHERE tenant_id = :t", t=tenant),
        "conversations": owner_conn.run(
            "SELECT subject, status, created_at IS NOT NULL FROM conversations WHERE tenant_id = :t", t=tenant
        ),
        "csat_surveys": owner_conn.run(
            "SELECT rating, comment, followup_answer FROM csat_surveys WHERE tenant_id = :t", t=tenant
        ),
        "calls": owner_conn.run(
            "SELECT phone_number, phone_digits_reversed, transcript, outcome FROM calls WHERE tenant_id = :t "
            "ORDER BY conversation_id NULLS LAST",
            t=tenant,
        ),
    }


ERASED = {
    "contacts": [["", None, None]],
    "conversations": [["", "open", True]],
    "csat_surveys": [[2, None, None]],
    "calls": [["", "", None, "resolved"], ["", "", None, "resolved"]],
}


def test_a_contact_erasure_empties_the_contact_and_what_its_conversations_surveys_and_calls_hold_of_it(
    ingest_db, owner_conn, build
):
    # Given a contact with a conversation, a survey answered in words, a call of the conversation and one from
    # their number
    tenant, events = _tenant(build, ingest_db)
    history = _contact_with_history(events)
    consume(ingest_db, messages(list(history.values())))

    # When the contact's erasure arrives
    report = consume(ingest_db, messages([events.erasure("contact", history["contact"]["data"]["id"])]))

    # Then names, emails, numbers and free text are gone; ratings, statuses, outcomes and times stay
    assert (report.applied, report.rejected) == (1, 0)
    assert _rows(owner_conn, tenant) == ERASED


@pytest.mark.parametrize("version", [1, 3], ids=["older", "newer"])
def test_a_late_snapshot_of_an_erased_contact_does_not_restore_it_whatever_its_version(
    version, ingest_db, owner_conn, build
):
    # Given an erased contact (version 2 when erased) and its history
    tenant, events = _tenant(build, ingest_db)
    history = _contact_with_history(events)
    consume(ingest_db, messages(list(history.values())))
    consume(ingest_db, messages([events.erasure("contact", history["contact"]["data"]["id"])]))

    # When snapshots of the contact and of its conversation, survey and call arrive again, older or newer
    def again(event: dict) -> dict:
        return {**event, "event_id": str(uuid.uuid4()), "version": version}

    consume(ingest_db, messages([again(history[key]) for key in ("contact", "conversation", "survey", "call")]))

    # Then nothing personal came back
    assert _rows(owner_conn, tenant) == ERASED


def test_an_erasure_before_the_contact_and_its_conversation_arrive_keeps_them_empty(ingest_db, owner_conn, build):
    # Given the erasure of a contact the analytics has not seen yet (events arrive in any order)
    tenant, events = _tenant(build, ingest_db)
    history = _contact_with_history(events)
    consume(ingest_db, messages([events.erasure("contact", history["contact"]["data"]["id"])]))

    # When the contact, then its conversation with its survey and call arrive (the stray call is not theirs by id)
    consume(ingest_db, messages([history["contact"]]))
    consume(ingest_db, messages([history["conversation"]]))
    consume(ingest_db, messages([history["survey"], history["call"]]))

    # Then they are written without the personal columns
    rows = _rows(owner_conn, tenant)
    assert rows["contacts"] == ERASED["contacts"]
    assert rows["conversations"] == ERASED["conversations"]
    assert rows["csat_surveys"] == ERASED["csat_surveys"]
    assert rows["calls"] == [["", "", None, "resolved"]]


def test_a_conversation_erasure_empties_its_free_text_and_keeps_its_contact(ingest_db, owner_conn, build):
    # Given a contact's history
    tenant, events = _tenant(build, ingest_db)
    history = _contact_with_history(events)
    consume(ingest_db, messages(list(history.values())))

    # When the conversation's erasure arrives, twice, and then a newer snapshot of the conversation and its survey
    erasure = events.erasure("conversation", history["conversation"]["data"]["id"])
    consume(ingest_db, messages([erasure]))
    consume(ingest_db, messages([erasure]))
    consume(ingest_db, messages([{**history[k], "event_id": str(uuid.uuid4()), "version": 9}
                                 for k in ("conversation", "survey")]))  # fmt: skip

    # Then its subject, its survey's words and its call's transcript and number are gone; the contact and the call
    # from the contact's number outside it stay
    rows = _rows(owner_conn, tenant)
    assert rows["contacts"] == [[NAME, EMAIL, PHONE]]
    assert rows["conversations"] == ERASED["conversations"]
    assert rows["csat_surveys"] == ERASED["csat_surveys"]
    assert rows["calls"] == [["", "", None, "resolved"], [PHONE, PHONE[1:][::-1], "Hello, it is me again", "resolved"]]


def test_an_erasure_naming_another_tenants_contact_is_rejected_and_erases_nothing(ingest_db, owner_conn, build):
    # Given a contact of tenant A
    tenant_a, events_a = _tenant(build, ingest_db)
    contact = events_a.contact(name=NAME, email=EMAIL, phone=PHONE)
    consume(ingest_db, messages([contact]))

    # When tenant B's events erase that id
    tenant_b, events_b = _tenant(build, ingest_db)
    report = consume(ingest_db, messages([events_b.erasure("contact", contact["data"]["id"])]))

    # Then B's erasure is rejected with a reason naming no data, and A's contact is untouched
    assert report.rejected == 1
    assert owner_conn.run("SELECT reason FROM ingest_rejections WHERE tenant_id = :t", t=tenant_b) == [
        ["data.id: is the id of another tenant's row (contacts)"]
    ]
    assert owner_conn.run("SELECT name, email FROM contacts WHERE tenant_id = :t", t=tenant_a) == [[NAME, EMAIL]]
    assert owner_conn.run("SELECT count(*) FROM ingest_erasures WHERE tenant_id = :t", t=tenant_b) == [[0]]


def test_an_erasure_with_both_orderings_is_rejected_as_invalid(ingest_db, owner_conn, build):
    # Given an erasure event that carries both a version and updated_at
    tenant, events = _tenant(build, ingest_db)
    erasure = events.erasure("contact", str(uuid.uuid4()), version=1, updated_at="2025-03-03T09:00:00Z")

    # When it arrives
    report = consume(ingest_db, messages([erasure]))

    # Then it is rejected with its reason
    assert report.rejected == 1
    (reason,) = owner_conn.run("SELECT reason FROM ingest_rejections WHERE tenant_id = :t", t=tenant)[0]
    assert "at most one of version or updated_at" in reason


def test_a_survey_and_a_call_that_arrive_before_their_conversation_of_an_erased_contact_are_emptied_with_it(
    ingest_db, owner_conn, build
):
    # Given a contact erased before anything of theirs arrived
    tenant, events = _tenant(build, ingest_db)
    history = _contact_with_history(events)
    consume(ingest_db, messages([history["contact"], events.erasure("contact", history["contact"]["data"]["id"])]))
    # And a survey (naming no contact) and a call of their conversation, arriving before the conversation
    survey = {**history["survey"], "data": {**history["survey"]["data"], "contact_id": None}}
    consume(ingest_db, messages([survey, history["call"]]))

    # When the conversation arrives
    consume(ingest_db, messages([history["conversation"]]))

    # Then the survey's words and the call's transcript and number are emptied with it
    rows = _rows(owner_conn, tenant)
    assert rows["conversations"] == ERASED["conversations"]
    assert rows["csat_surveys"] == ERASED["csat_surveys"]
    assert rows["calls"] == [["", "", None, "resolved"]]


def _load_history_file(ingest_db, tenant, events: list[dict]) -> None:
    """The events as one import file, loaded as the bulk_import function loads it."""
    body = "".join(json.dumps(event) + "\n" for event in events).encode()
    file = ImportFile(tenant_id=str(tenant), import_id=str(uuid.uuid4()), file_name="history.ndjson", etag="e1")
    load_file(ingest_db, file, lines(io.BytesIO(body)))


def test_a_survey_and_a_call_imported_before_their_conversation_of_an_erased_contact_are_emptied_with_it(
    ingest_db, owner_conn, build
):
    # Given a contact erased live before anything of theirs arrived
    tenant, events = _tenant(build, ingest_db)
    history = _contact_with_history(events)
    consume(ingest_db, messages([history["contact"], events.erasure("contact", history["contact"]["data"]["id"])]))
    # And a history file with a survey (naming no contact) and a call of their conversation, but not the conversation
    survey = {**history["survey"], "data": {**history["survey"]["data"], "contact_id": None}}
    _load_history_file(ingest_db, tenant, [survey, history["call"]])

    # When a later file brings the conversation
    _load_history_file(ingest_db, tenant, [history["conversation"]])

    # Then the survey's words and the call's transcript and number are emptied with it, as on the live path
    rows = _rows(owner_conn, tenant)
    assert rows["conversations"] == ERASED["conversations"]
    assert rows["csat_surveys"] == ERASED["csat_surveys"]
    assert rows["calls"] == [["", "", None, "resolved"]]
