"""Calling a handler warm and timing it; the time the same request spends in PostgreSQL, for the overhead ratio."""

from __future__ import annotations

import itertools
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from local.lambda_runtime import LambdaContext


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float
    sql_p50_ms: float
    status: int

    @property
    def overhead_ratio(self) -> float:
        return self.p50_ms / self.sql_p50_ms if self.sql_p50_ms else float("nan")


def rest_event(path: str, query: str, caller: dict[str, str]) -> dict[str, Any]:
    params = dict(parse_qsl(query))
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "bench"},
        "multiValueHeaders": {"Host": ["bench"]},
        "queryStringParameters": params or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in params.items()} or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/api{path}",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": caller,
        },
        "body": None,
        "isBase64Encoded": False,
    }


class SqlClock:
    """Sums the wall time spent inside pg8000 calls (the bare SQL, round trips included)."""

    def __init__(self) -> None:
        self.total = 0.0

    def install(self) -> None:
        from pg8000 import native

        original: Callable[..., Any] = native.Connection.run
        clock = self

        def timed_run(conn: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(conn, sql, *args, **kwargs)
            finally:
                if sql not in ("BEGIN", "COMMIT", "ROLLBACK"):
                    clock.total += time.perf_counter() - started

        native.Connection.run = timed_run  # type: ignore[method-assign]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True)
class EndpointCall:
    """One endpoint's request as one caller. user_per_call: each call as another user of the tenant, for a per-user
    rate limit: with REDIS_URL the windows live in Redis, where forgetting the process's limiters (before_each)
    does not reset them."""

    module: ModuleType
    path: str
    query: str
    caller: dict[str, str]
    before_each: Callable[[], None] = lambda: None
    user_per_call: bool = False


def time_interleaved(targets: list[EndpointCall], clock: SqlClock, *, calls: int, warmup: int = 2) -> list[Timing]:
    """Each target warmed up, then timed `calls` times, the targets taking turns call by call: targets being
    compared (one endpoint on two tenants) see the same bursts of load from whatever else runs on the machine."""
    runs = [_Run(target) for target in targets]
    for run in runs:
        for _ in range(warmup):
            run.invoke(run.next_event())
    totals: list[list[float]] = [[] for _ in runs]
    sql: list[list[float]] = [[] for _ in runs]
    for _ in range(calls):
        for i, run in enumerate(runs):
            event = run.next_event()
            clock.total = 0.0
            started = time.perf_counter()
            run.invoke(event)
            totals[i].append((time.perf_counter() - started) * 1000)
            sql[i].append(clock.total * 1000)
    return [
        Timing(
            p50_ms=statistics.median(totals[i]),
            p95_ms=percentile(totals[i], 0.95),
            sql_p50_ms=statistics.median(sql[i]),
            status=run.status,
        )
        for i, run in enumerate(runs)
    ]


class _Run:
    def __init__(self, target: EndpointCall) -> None:
        self.target = target
        self.status = 0
        caller = target.caller
        self._callers = (
            ({**caller, "user_id": f"{caller['user_id']}-{n}"} for n in itertools.count())
            if target.user_per_call
            else itertools.repeat(caller)
        )

    def next_event(self) -> dict[str, Any]:
        """The next call's event, its limiters reset (before the clock starts)."""
        self.target.before_each()
        return rest_event(self.target.path, self.target.query, next(self._callers))

    def invoke(self, event: dict[str, Any]) -> None:
        self.status = self.target.module.lambda_handler(event, LambdaContext("bench", 512, 28))["statusCode"]
