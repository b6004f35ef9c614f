"""Generate docs/events/<type>.schema.json (JSON Schema 2020-12) from the event models in aurion/ingest/events.py.

The models are the one source of the contract; these files are what an integrator validates against.
`python -m local.event_schemas --check` fails when a committed file is stale, missing or no longer generated.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from local.paths import REPO_ROOT, ensure_layer_on_path

OUTPUT = REPO_ROOT / "docs" / "events"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def build_schemas() -> dict[str, dict[str, Any]]:
    """{file name: schema} of every event type."""
    ensure_layer_on_path()
    from aurion.ingest.events import ERASURE_MODELS, EVENT_MODELS, event_type

    schemas = {}
    for model in (*EVENT_MODELS, *ERASURE_MODELS):
        name = event_type(model)
        snapshot = model.model_fields["data"].annotation
        schema = model.model_json_schema(mode="validation")
        schema["title"] = name
        if model in ERASURE_MODELS:
            schema["description"] = (
                f"A {name} event: the envelope and, in data, the id of the entity to erase. "
                f"{' '.join((model.__doc__ or '').split())} At most one of version or updated_at. docs/ingestion.md"
            )
        else:
            schema["description"] = (
                f"A {name} event: the envelope and, in data, the whole state of the entity. "
                "Exactly one of version or updated_at. docs/ingestion.md"
            )
        if snapshot is not None and snapshot.__doc__:
            schema["$defs"][snapshot.__name__]["description"] = " ".join(snapshot.__doc__.split())
        schemas[f"{name}.schema.json"] = {"$schema": DIALECT, "$id": f"{name}.schema.json", **schema}
    return schemas


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def stale_files(schemas: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for name, schema in schemas.items():
        path = OUTPUT / name
        if not path.exists() or path.read_text() != render(schema):
            problems.append(name)
    problems += sorted(p.name for p in OUTPUT.glob("*.schema.json") if p.name not in schemas)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if docs/events/ is stale")
    args = parser.parse_args()
    schemas = build_schemas()
    if args.check:
        stale = stale_files(schemas)
        if stale:
            print(f"docs/events/ is stale ({', '.join(stale)}): run `python -m local.event_schemas`", file=sys.stderr)
            sys.exit(1)
        return
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.schema.json"):
        if old.name not in schemas:
            old.unlink()
    for name, schema in schemas.items():
        (OUTPUT / name).write_text(render(schema))
    print(f"wrote {len(schemas)} schemas to {OUTPUT.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
