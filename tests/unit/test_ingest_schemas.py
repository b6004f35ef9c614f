"""docs/events/*.schema.json are generated from the event models and never stale; docs/ingestion.md's examples
and field tables are the models' (so an integrator reading only the docs publishes what is accepted)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pytest
from pydantic import TypeAdapter

from aurion.ingest.events import EVENT_MODELS, Event, event_type
from tests.support.database import REPO

DOC = (REPO / "docs" / "ingestion.md").read_text()
TYPES = [event_type(model) for model in EVENT_MODELS]
EVENT = TypeAdapter(Event)


def section(type_: str) -> str:
    match = re.search(rf"^### {re.escape(type_)}\n(.*?)(?=^##)", DOC, re.S | re.M)
    assert match, f"docs/ingestion.md has no section ### {type_}"
    return match.group(1)


def schema(type_: str) -> dict:
    return json.loads((REPO / "docs" / "events" / f"{type_}.schema.json").read_text())


def test_the_committed_schemas_match_the_models():
    # A subprocess, as `python -m local.event_schemas --check` runs in CI
    result = subprocess.run(
        [sys.executable, "-m", "local.event_schemas", "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("type_", TYPES)
def test_the_documented_example_is_accepted_by_the_model_and_the_json_schema(type_):
    (example,) = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section(type_), re.S)]
    assert example["type"] == type_
    assert EVENT.validate_json(json.dumps(example)).type == type_
    jsonschema.Draft202012Validator(schema(type_)).validate(example)


@pytest.mark.parametrize("type_", TYPES)
def test_the_documented_field_table_lists_exactly_the_models_fields(type_):
    model = next(m for m in EVENT_MODELS if event_type(m) == type_)
    documented = re.findall(r"^\| `([a-z_]+)` \|", section(type_), re.M)
    assert documented == list(model.model_fields["data"].annotation.model_fields)


def test_the_json_schemas_refuse_what_the_models_refuse():
    # An unknown field, and both orderings at once
    example = json.loads(re.findall(r"```json\n(.*?)```", section("team.v1"), re.S)[0])
    validator = jsonschema.Draft202012Validator(schema("team.v1"))
    assert not validator.is_valid({**example, "data": {**example["data"], "colour": "blue"}})
    assert not validator.is_valid({**example, "updated_at": "2026-01-05T08:10:00Z"})


def test_the_demo_file_for_make_ingest_holds_valid_events():
    tenant = "7a1c2e9f-3b4d-4e5f-8a6b-9c0d1e2f3a4b"
    lines = (REPO / "events" / "ingest_demo.ndjson").read_text().splitlines()
    types = [EVENT.validate_json(json.dumps({**json.loads(line), "tenant_id": tenant})).type for line in lines]
    assert sorted(types) == sorted(t for t in TYPES if t != "tenant.v1")
