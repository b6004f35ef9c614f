"""Inputs a schema alone never makes schemathesis generate, and that reached a 500 (issue 11): a strategy that
rewrites one generated case in FUZZ_SHAPE_ODDS into one of them, so the fuzzer looks for the next one there.

- dates at the ends of Python's calendar and of the years served (0001-01-01T00:00:00+05:00, 9999-12-31, the
  default start 30 days before 0001-01-05), with zones that move a day across a year in UTC;
- a repeated scalar query key (`?limit=x&limit=7`: the last value counts);
- JSON nested 33 or 5,000 deep, integers of 5,000 digits (sent as raw bytes: json.dumps cannot write them);
- a JSON body sent as a form, as `curl -d` does without a Content-Type;
- headers past API Gateway's 10,240 bytes, a header line past http.server's 64 KB, more than 100 headers.

Each shape keeps the case's operation, credentials and other parameters, so a 5xx points at the shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FUZZ_SHAPE_ODDS = 3

INSTANTS = [
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "0001-01-05",
    "0001-01-01",
    "9999-12-31",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00+14:00",
    "1970-01-01",
    "9998-12-31",
    "9998-12-31T23:59:59.999999-14:00",
    "2026-03-01T00:00:00+23:59",
]
DAYS = ["0001-01-01", "0001-01-02", "1969-12-31", "1970-01-01", "1970-01-02", "9998-12-30", "9998-12-31", "9999-12-31"]
ZONES = ["Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns", "UTC"]
VALUES = {"date_from": INSTANTS, "date_to": INSTANTS, "start_date": DAYS, "end_date": DAYS, "tz": ZONES}
HUGE_INTEGER = "9" * 5000


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(METHOD, path) -> (its query parameters, the properties of its JSON body)."""
    schemas = document.get("components", {}).get("schemas", {})
    found = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in body:
                body = schemas[body["$ref"].rsplit("/", 1)[1]]
            found[(method.upper(), path)] = (query, set(body.get("properties", {})))
    return found


def _extreme_values(case: Any, names: set[str], container: str) -> st.SearchStrategy[Any] | None:
    chosen = sorted(names & VALUES.keys())
    if not chosen:
        return None
    values = st.fixed_dictionaries({}, optional={name: st.sampled_from(VALUES[name]) for name in chosen})

    def apply(drawn: dict[str, str]) -> Any:
        current = getattr(case, container)
        setattr(case, container, {**(current if isinstance(current, dict) else {}), **drawn})
        return case

    return values.filter(bool).map(apply)


def _repeated_key(case: Any) -> st.SearchStrategy[Any] | None:
    scalars = sorted(k for k, v in (case.query or {}).items() if isinstance(v, (str, int, float, bool)))
    if not scalars:
        return None

    def apply(name: str) -> Any:
        case.query = {**case.query, name: ["fuzz-overridden", case.query[name]]}
        return case

    return st.sampled_from(scalars).map(apply)


def _raw_body(case: Any, properties: set[str]) -> st.SearchStrategy[Any]:
    field = json.dumps(sorted(properties)[0] if properties else "x")
    bodies = [
        "[" * 5000 + "]" * 5000,
        "{" + field + ": " + "[" * 33 + "]" * 33 + "}",
        "{" + field + ": " + HUGE_INTEGER + "}",
        "{" + field + ": -" + HUGE_INTEGER + "}",
    ]

    def apply(raw: str) -> Any:
        case.body = raw.encode()
        return case

    return st.sampled_from(bodies).map(apply)


def _sent_as_a_form(case: Any) -> Any:
    case.headers = {**(case.headers or {}), "Content-Type": "application/x-www-form-urlencoded"}
    return case


def _huge_headers(case: Any) -> st.SearchStrategy[Any]:
    many = {f"X-Fuzz-{i}": "1" for i in range(101)}
    shapes = [{"X-Fuzz-Padding": "p" * 10_300}, {"X-Fuzz-Padding": "p" * 70_000}, many]

    def apply(extra: dict[str, str]) -> Any:
        case.headers = {**(case.headers or {}), **extra}
        return case

    return st.sampled_from(shapes).map(apply)


def shaped_cases(document_path: Path) -> Callable[[Any, Any], st.SearchStrategy[Any]]:
    """A schemathesis `flatmap_case` hook over the operations of the document."""
    operations = _operations(json.loads(document_path.read_text()))

    def flatmap_case(_context: Any, case: Any) -> st.SearchStrategy[Any]:
        query, properties = operations.get((case.method.upper(), case.path), (set(), set()))
        shapes = [
            _extreme_values(case, query, "query"),
            _extreme_values(case, properties, "body") if isinstance(case.body, dict) else None,
            _repeated_key(case),
        ]
        if properties:
            shapes += [_raw_body(case, properties), st.just(case).map(_sent_as_a_form)]
        else:
            # Only without a body: http.server closes the connection on a refused header before reading one.
            shapes.append(_huge_headers(case))
        choices = [shape for shape in shapes if shape is not None]
        return st.integers(0, FUZZ_SHAPE_ODDS - 1).flatmap(
            lambda n: st.one_of(choices) if n == 0 and choices else st.just(case)
        )

    return flatmap_case
