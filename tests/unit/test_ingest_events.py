"""The event contract (aurion/ingest/events.py, messages.py): what an event must be to be applied."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import TypeAdapter, ValidationError

from aurion.ingest.apply import Invalid, Valid
from aurion.ingest.events import Event
from aurion.ingest.messages import Unattributable, parse_message
from tests.support.ingest_events import HelpdeskEvents, bus_body

EVENT = TypeAdapter(Event)
TENANT = "7f000000-0000-4000-8000-000000000001"
events = HelpdeskEvents(TENANT)


def validate(event: dict) -> object:
    return EVENT.validate_json(json.dumps(event))


def errors(event: dict) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as refused:
        validate(event)
    return [(e["loc"][1:], e["type"]) for e in refused.value.errors()]


def test_a_valid_event_of_every_type_is_accepted():
    conversation = events.conversation()
    every = [
        events.tenant(),
        events.team(),
        events.user(),
        events.contact(),
        events.email_channel(),
        events.article(),
        conversation,
        events.csat(conversation["data"]["id"], responded_at="2025-03-04T10:00:00Z", rating=5),
        events.article_view(str(uuid.uuid4())),
        events.article_feedback(str(uuid.uuid4())),
        events.email_message(str(uuid.uuid4())),
        events.call(),
        events.llm_request(),
    ]
    assert [validate(event).type for event in every] == [event["type"] for event in every]


def test_unknown_fields_are_refused_in_the_envelope_and_in_the_snapshot():
    event = events.team()
    event["source"] = "crm"
    event["data"]["colour"] = "blue"
    assert sorted(errors(event)) == [(("data", "colour"), "extra_forbidden"), (("source",), "extra_forbidden")]


def test_enums_are_the_schemas_check_constraints():
    assert errors(events.conversation(channel="fax")) == [(("data", "channel"), "literal_error")]
    assert errors(events.call(outcome="hung_up")) == [(("data", "outcome"), "literal_error")]
    assert errors(events.tenant(products=["voice", "crm"])) == [(("data", "products", 1), "literal_error")]


def test_values_must_have_their_json_types_no_coercion():
    # A number as a string, an integer for a boolean, a float for a count: all refused
    event = events.llm_request(input_tokens="100", is_error=1, latency_ms=3.5)
    assert sorted(errors(event)) == [
        (("data", "input_tokens"), "int_type"),
        (("data", "is_error"), "bool_type"),
        (("data", "latency_ms"), "int_type"),
    ]


def test_exactly_one_of_version_and_updated_at_orders_an_event():
    neither = events.team()
    del neither["version"]
    both = events.team()
    both["updated_at"] = "2025-03-03T09:00:00Z"
    assert errors(neither) == [((), "value_error")]
    assert errors(both) == [((), "value_error")]


def test_updated_at_orders_to_the_microsecond():
    earlier = validate(events.call(version=None, updated_at="2025-03-03T09:00:00.000001Z"))
    later = validate(events.call(version=None, updated_at="2025-03-03T10:00:00.000002+01:00"))
    assert later.source_version - earlier.source_version == 1  # the same instant plus one microsecond


def test_times_carry_their_offset_and_stay_within_1970_to_2100():
    assert errors(events.team(created_at="2025-03-03T09:00:00")) == [(("data", "created_at"), "timezone_aware")]
    assert errors(events.team(created_at="2100-01-01T00:00:00Z")) == [(("data", "created_at"), "less_than")]
    assert errors(events.team(created_at="1969-12-31T23:59:59Z")) == [(("data", "created_at"), "greater_than_equal")]


def test_every_string_is_bounded():
    assert errors(events.conversation(subject="x" * 1001)) == [(("data", "subject"), "string_too_long")]
    assert errors(events.call(transcript="x" * 100_001)) == [(("data", "transcript"), "string_too_long")]
    assert errors(events.team(name="")) == [(("data", "name"), "string_too_short")]
    # NUL cannot be stored in PostgreSQL text; control characters do not belong in a name
    assert errors(events.team(name="Tier\n1")) == [(("data", "name"), "string_pattern_mismatch")]
    assert errors(events.conversation(subject="a\x00b")) == [(("data", "subject"), "string_pattern_mismatch")]


def test_the_schemas_cross_field_checks_are_the_contracts():
    half_resolved = events.conversation(resolved_at="2025-03-03T10:00:00Z")
    rated_unanswered = events.csat(str(uuid.uuid4()), rating=4)
    assert errors(half_resolved) == [(("data",), "value_error")]
    assert errors(rated_unanswered) == [(("data",), "value_error")]


def test_a_tenant_event_describes_the_envelopes_tenant():
    assert errors(events.tenant(id=str(uuid.uuid4()))) == [((), "value_error")]


def test_phone_numbers_are_e164():
    assert errors(events.call(phone_number="0612345678")) == [(("data", "phone_number"), "string_pattern_mismatch")]
    assert validate(events.contact(phone="+33612345678")).data.phone == "+33612345678"


def test_a_message_is_valid_invalid_with_its_tenant_or_unattributable():
    team = events.team()
    valid = parse_message("m1", bus_body(team))
    invalid = parse_message("m2", bus_body(events.team(name="")))
    mislabelled = parse_message("m3", bus_body(team, detail_type="user.v1"))
    assert isinstance(valid.item, Valid)
    assert valid.tenant_id == TENANT
    assert isinstance(invalid.item, Invalid)
    assert invalid.tenant_id == TENANT
    assert invalid.item.rejection.reason == "data.name: String should have at least 1 character"
    assert isinstance(mislabelled.item, Invalid)
    assert mislabelled.item.rejection.reason == "event: Value error, detail-type must be the event's type"
    for body in ("not json", "[]", json.dumps({"detail": "x"}), bus_body({"type": "team.v1", "tenant_id": "acme"})):
        assert isinstance(parse_message("m4", body).item, Unattributable)


def test_a_rejection_reason_never_quotes_the_offending_value():
    event = events.contact(email="not-an-email carla@example.org", phone="+33 6 12 34 56 78")
    rejection = parse_message("m1", bus_body(event)).item.rejection
    assert "carla" not in rejection.reason
    assert "12 34" not in rejection.reason
    assert rejection.reason.startswith("data.email: String should match pattern")


def test_an_invalid_event_without_a_usable_event_id_is_keyed_by_its_message():
    event = events.team(name="")
    event["event_id"] = "evt-1"
    rejection = parse_message("m-42", bus_body(event)).item.rejection
    assert rejection.event_key == "message:m-42"
