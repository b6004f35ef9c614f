"""An unexpected error is a 500 `{"detail": "Internal server error"}` whose log line names the exception's type and
where it was raised, never its message, its arguments or the values of its frames (docs/security.md, control 12).

A value is planted in the exception's message and in a local variable of the frame that raises it; every record of
every logger (the service logger rendered by its own formatter, the others with their tracebacks) is scanned for it.
The planted value has none of the shapes the service logger scrubs (token, key, email, phone number), so only
not logging it can keep it out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from aurion.logs import failure_fields
from aurion.rollups import aggregator
from tests.support.api import caller_for, get

SERVICE_LOGGER = "aurion-analytics"
PLANTED = "planted-value-kq7w-zx3v"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._plain = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        service = record.name == SERVICE_LOGGER or record.name.startswith(f"{SERVICE_LOGGER}.")
        formatter = logging.getLogger(SERVICE_LOGGER).handlers[0].formatter if service else self._plain
        assert formatter is not None
        self.lines.append(formatter.format(record))  # a plain Formatter appends the record's traceback


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every record of the root logger and of the service and Powertools loggers when they do not propagate."""
    collector = Lines()
    named = [logging.getLogger(SERVICE_LOGGER), logging.getLogger("aws_lambda_powertools")]
    loggers = [logging.getLogger(), *(logger for logger in named if not logger.propagate)]
    for logger in loggers:
        logger.addHandler(collector)
    try:
        yield collector.lines
    finally:
        for logger in loggers:
            logger.removeHandler(collector)


def explode_with_a_planted_value(*_args: object, **_kwargs: object) -> None:
    credential = PLANTED  # a local of the raising frame: a traceback with locals would show it
    raise ValueError(f"could not use {credential}")


def test_an_unexpected_error_is_a_500_logged_by_type_and_place_without_its_message_or_values(
    functions, build, monkeypatch, log_lines
):
    # Given a route whose domain code fails with a value in the exception's message and in its frame's locals
    module = functions("conversation_analytics")
    monkeypatch.setattr(module, "conversation_overview", explode_with_a_planted_value)
    # When it is called
    response = get(module, "/api/v2/analytics/conversations/overview", caller_for(build.tenant()))
    # Then the client gets the generic 500
    assert response.status == 500
    assert response.body == {"detail": "Internal server error"}
    # And the log names the type and the function that raised it, and nothing of the message or the values
    failure = [line for line in log_lines if "unhandled error" in line]
    assert len(failure) == 1, log_lines
    assert "ValueError" in failure[0]
    assert "explode_with_a_planted_value" in failure[0]
    assert [line for line in log_lines if PLANTED in line or "could not use" in line] == []
    assert [line for line in log_lines if "Traceback" in line] == []


def test_a_tenant_the_aggregator_fails_on_is_logged_by_type_and_place_and_the_others_still_run(
    aggregator_db, build, monkeypatch, log_lines
):
    # Given tenants, and a rollup run that fails with a value in its message and its locals
    build.tenant()
    monkeypatch.setattr(aggregator, "run_tenant", explode_with_a_planted_value)
    # When the aggregator runs them all
    assert aggregator.run_all(aggregator_db) == []
    # Then each failure is one line with the type and the place, and nothing of the message or the values
    failures = [line for line in log_lines if "rollup run failed" in line]
    assert failures
    assert all("ValueError" in line and "explode_with_a_planted_value" in line for line in failures)
    assert [line for line in log_lines if PLANTED in line or "could not use" in line] == []
    assert [line for line in log_lines if "Traceback" in line] == []


def raise_wrapping_another() -> None:
    try:
        raise KeyError(PLANTED)
    except KeyError as inner:
        raise RuntimeError(f"wrapping {PLANTED}") from inner


def raise_hiding_another() -> None:
    try:
        raise KeyError(PLANTED)
    except KeyError:
        raise LookupError("not found") from None


def test_failure_fields_name_the_types_of_the_causes_and_the_frames_but_no_message():
    # Given an error raised while handling another, each with a planted value in its message
    with pytest.raises(RuntimeError) as raised:
        raise_wrapping_another()
    fields = failure_fields(raised.value)
    # Then the types and the place, and no message anywhere
    assert fields["error_type"] == "RuntimeError"
    assert fields["error_causes"] == ["KeyError"]
    assert fields["error_frames"][-1].startswith("integration/test_unexpected_error_logs.py:")
    assert fields["error_frames"][-1].endswith(" in raise_wrapping_another")
    assert PLANTED not in repr(fields)


def test_an_error_raised_from_none_hides_its_context_too():
    with pytest.raises(LookupError) as raised:
        raise_hiding_another()
    assert "error_causes" not in failure_fields(raised.value)
