"""X-Ray traces: one subsegment per SQL statement (its text, never its parameters) and per handler invocation, and
no Tracer at all where Powertools would disable it (the X-Ray SDK then stays unloaded: tests/unit/test_lazy_imports).
"""

from __future__ import annotations

import numbers
import traceback
from collections.abc import Generator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from aurion import tracing
from aurion.db import Database


class RecordedSegment(BaseSegment):
    def __init__(self, name: str) -> None:
        self.name = name
        self.annotations: dict[str, Any] = {}
        self.metadata: dict[tuple[str, str], Any] = {}

    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata[(namespace, key)] = value

    def add_exception(self, exception: BaseException, stack: list[traceback.StackSummary], remote: bool = False):
        self.metadata[("exception", type(exception).__name__)] = str(exception)


class RecordingProvider(BaseProvider):
    """An X-Ray provider that keeps the subsegments it is asked for, as the daemon would receive them."""

    def __init__(self) -> None:
        self.subsegments: list[RecordedSegment] = []

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        segment = RecordedSegment(str(name))
        self.subsegments.append(segment)
        yield segment

    @asynccontextmanager
    async def in_subsegment_async(self, name: Any = None, **kwargs: Any):  # type: ignore[override]
        segment = RecordedSegment(str(name))
        self.subsegments.append(segment)
        yield segment

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


@pytest.fixture
def recorded(monkeypatch) -> RecordingProvider:
    """Tracing on, through a provider that records; off again (as outside Lambda) after the test."""
    provider = RecordingProvider()
    monkeypatch.setattr(tracing, "_tracer", None)
    monkeypatch.setattr(tracing, "_decided", False)
    tracing.use_tracer(Tracer(service="aurion-test", disabled=False, auto_patch=False, provider=provider))
    return provider


@pytest.fixture
def app_db(database) -> Iterator[Database]:
    db = Database(database.app_url, statement_timeout_ms=5000, connect_timeout_s=5)
    yield db
    db.close()


def test_each_sql_statement_is_a_subsegment_with_its_text_and_not_its_parameters(recorded, app_db):
    # Given tracing on
    # When a transaction runs two statements, one of them with an email bound as a parameter
    with app_db.transaction(None) as tx:
        length = tx.value("SELECT length(:email)", email="someone@example.com")
        rows = tx.all("SELECT 1 AS one,\n       2 AS two")
    # Then each statement is one `## sql` subsegment holding the statement's text, one line, and nothing bound
    assert (length, rows) == (19, [{"one": 1, "two": 2}])
    assert [segment.name for segment in recorded.subsegments] == ["## sql", "## sql"]
    assert [segment.metadata for segment in recorded.subsegments] == [
        {("sql", "query"): "SELECT length(:email)"},
        {("sql", "query"): "SELECT 1 AS one, 2 AS two"},
    ]


def test_a_handler_invocation_is_a_subsegment_without_its_response(recorded):
    # Given tracing on and a handler decorated as functions/*/app.py decorate theirs
    @tracing.capture_handler
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"phone": "+44 20 7946 0000"}

    # When it is invoked
    response = lambda_handler({}, None)
    # Then the invocation is one subsegment with the cold-start annotation, and the response is not in the trace
    assert response == {"phone": "+44 20 7946 0000"}
    [segment] = recorded.subsegments
    assert segment.name == "## lambda_handler"
    assert "ColdStart" in segment.annotations
    assert "+44 20 7946 0000" not in repr(segment.metadata)


def test_without_tracing_a_statement_records_nothing(monkeypatch, app_db):
    # Given tracing decided off (outside Lambda, as here)
    monkeypatch.setattr(tracing, "_tracer", None)
    monkeypatch.setattr(tracing, "_decided", False)
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    # When a statement runs
    with app_db.transaction(None) as tx:
        assert tx.value("SELECT 1") == 1
    # Then no Tracer was ever built
    assert tracing.active_tracer() is None


@pytest.mark.parametrize(
    ("env", "wanted"),
    [
        ({}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
    ],
    ids=["outside-lambda", "in-lambda", "switched-off", "switched-on", "sam-local"],
)
def test_tracing_is_wanted_where_powertools_would_trace(env, wanted):
    # Given an environment / Then tracing is on exactly where Powertools' Tracer would not disable itself
    assert tracing._tracing_wanted(env) is wanted
