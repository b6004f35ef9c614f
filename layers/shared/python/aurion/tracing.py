"""X-Ray traces (the template's `Tracing: Active`): a subsegment per handler invocation and per SQL statement.

Powertools' Tracer does the X-Ray work. Building one loads the X-Ray SDK with botocore even when it then disables
itself (measured here: 50 to 250 ms of a cold start), so where Powertools would disable it, outside Lambda (tests,
the local stack, the benchmarks) or with POWERTOOLS_TRACE_DISABLED, no Tracer is built and a statement costs one
check. A trace holds a statement's text, never its parameters (a searched phone number, an email), nor a handler's
response or exception message (either may quote personal data; aurion.logs logs failures by type and place).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

Handler = TypeVar("Handler", bound=Callable[..., Any])

_tracer: Tracer | None = None
_decided = False


def _tracing_wanted(env: Mapping[str, str] | None = None) -> bool:
    """Powertools' own rule for a Tracer that is not disabled: in Lambda, not its emulators, not switched off."""
    env = os.environ if env is None else env
    if env.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    in_lambda = bool(env.get("LAMBDA_TASK_ROOT"))
    emulated = bool(env.get("AWS_SAM_LOCAL") or env.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


def active_tracer() -> Tracer | None:
    """The execution environment's Tracer, built on first use where tracing is on; None where it is off."""
    global _tracer, _decided
    if not _decided:
        if _tracing_wanted():
            from aws_lambda_powertools import Tracer

            # No auto-patching: the subsegments we want are ours (statements, handlers), not every library's.
            _tracer = Tracer(auto_patch=False)
        _decided = True
    return _tracer


def use_tracer(tracer: Tracer | None) -> None:
    """Trace through `tracer` from now on (None: stop tracing); tests give one whose provider records."""
    global _tracer, _decided
    _tracer, _decided = tracer, True


def capture_handler(handler: Handler) -> Handler:
    """The handler, traced as one subsegment per invocation where tracing is on (with the ColdStart annotation)."""
    tracer = active_tracer()
    if tracer is None:
        return handler
    return cast(Handler, tracer.capture_lambda_handler(handler, capture_response=False, capture_error=False))


@contextmanager
def sql_subsegment(sql: str) -> Iterator[None]:
    """One SQL statement as a subsegment named `## sql`, its text in the `sql` metadata namespace."""
    tracer = active_tracer()
    if tracer is None:
        yield
        return
    with tracer.provider.in_subsegment("## sql") as subsegment:
        subsegment.put_metadata("query", " ".join(sql.split()), "sql")
        yield
