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


def time_endpoint(
    module: ModuleType,
    path: str,
    query: str,
    caller: dict[str, str],
    clock: SqlClock,
    *,
    calls: int,
    warmup: int = 2,
    before_each: Callable[[], None] = lambda: None,
    user_per_call: bool = False,
) -> Timing:
    """user_per_call: each call as another user of the tenant, for a per-user rate limit: with REDIS_URL the
    windows live in Redis, where forgetting the process's limiters (before_each) does not reset them."""
    status = 0
    callers = (
        ({**caller, "user_id": f"{caller['user_id']}-{n}"} for n in itertools.count())
        if user_per_call
        else itertools.repeat(caller)
    )
    for _ in range(warmup):
        before_each()
        event = rest_event(path, query, next(callers))
        status = module.lambda_handler(event, LambdaContext("bench", 512, 28))["statusCode"]
    totals, sql = [], []
    for _ in range(calls):
        before_each()
        event = rest_event(path, query, next(callers))
        clock.total = 0.0
        started = time.perf_counter()
        status = module.lambda_handler(event, LambdaContext("bench", 512, 28))["statusCode"]
        totals.append((time.perf_counter() - started) * 1000)
        sql.append(clock.total * 1000)
    return Timing(
        p50_ms=statistics.median(totals),
        p95_ms=percentile(totals, 0.95),
        sql_p50_ms=statistics.median(sql),
        status=status,
    )
