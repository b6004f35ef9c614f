"""The erasure events' contract: docs/ingestion.md documents each with an example the model and its generated JSON
Schema accept, and the field table lists exactly the model's fields."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from pydantic import TypeAdapter, ValidationError

from aurion.ingest.events import ERASURE_MODELS, Event, LiveEvent, event_type
from tests.support.database import REPO

DOC = (REPO / "docs" / "ingestion.md").read_text()
TYPES = [event_type(model) for model in ERASURE_MODELS]
EVENT = TypeAdapter(LiveEvent)


def section(type_: str) -> str:
    match = re.search(rf"^### {re.escape(type_)}\n(.*?)(?=^##)", DOC, re.S | re.M)
    assert match, f"docs/ingestion.md has no section ### {type_}"
    return match.group(1)


def example(type_: str) -> dict:
    (block,) = re.findall(r"```json\n(.*?)```", section(type_), re.S)
    return json.loads(block)


def schema(type_: str) -> dict:
    return json.loads((REPO / "docs" / "events" / f"{type_}.schema.json").read_text())


@pytest.mark.parametrize("type_", TYPES)
def test_the_documented_erasure_example_is_accepted_by_the_model_and_the_json_schema(type_):
    event = example(type_)
    assert EVENT.validate_json(json.dumps(event)).type == type_
    jsonschema.Draft202012Validator(schema(type_)).validate(event)


@pytest.mark.parametrize("type_", TYPES)
def test_the_documented_erasure_field_table_lists_exactly_the_models_fields(type_):
    model = next(m for m in ERASURE_MODELS if event_type(m) == type_)
    documented = re.findall(r"^\| `([a-z_]+)` \|", section(type_), re.M)
    assert documented == list(model.model_fields["data"].annotation.model_fields)


@pytest.mark.parametrize("type_", TYPES)
def test_an_erasure_is_a_live_event_only_never_a_line_of_an_import_file(type_):
    # Given the documented example, when the bulk path's union (snapshots only) reads it, then it is refused
    with pytest.raises(ValidationError):
        TypeAdapter(Event).validate_json(json.dumps(example(type_)))


@pytest.mark.parametrize("type_", TYPES)
def test_an_erasure_may_carry_one_ordering_but_not_both_nor_personal_data(type_):
    # Given the documented example
    event = example(type_)
    validator = jsonschema.Draft202012Validator(schema(type_))
    # Then a version alone is accepted, both orderings or a name beside the id are refused, by model and schema
    with_version = {**event, "version": 4}
    both = {**with_version, "updated_at": "2026-12-01T10:00:00Z"}
    with_name = {**event, "data": {**event["data"], "name": "Carla Customer"}}
    assert EVENT.validate_json(json.dumps(with_version)).source_version == 4
    assert validator.is_valid(with_version)
    for refused in (both, with_name):
        with pytest.raises(ValidationError):
            EVENT.validate_json(json.dumps(refused))
        assert not validator.is_valid(refused)
