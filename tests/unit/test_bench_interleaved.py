"""The scale benchmark compares tenants call by call: each timed call of one is followed by one of the other."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from local.bench.timing import EndpointCall, SqlClock, time_interleaved


def test_tenants_compared_take_turns_call_by_call_after_their_warm_up():
    # Given two tenants' calls of one endpoint, each answering 200 and noting who was called
    called: list[str] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, int]:
        called.append(event["requestContext"]["authorizer"]["tenant_id"])
        return {"statusCode": 200}

    module: Any = SimpleNamespace(lambda_handler=handler)
    targets = [EndpointCall(module, "/x", "a=1", {"tenant_id": t, "user_id": "u", "role": "r"}) for t in "AB"]
    # When they are timed 3 times each after 2 warm-up calls
    timings = time_interleaved(targets, SqlClock(), calls=3, warmup=2)
    # Then the warm-ups come first, then the timed calls alternate
    assert called == ["A", "A", "B", "B", "A", "B", "A", "B", "A", "B"]
    # And each tenant has its own timing of its own calls
    assert [timing.status for timing in timings] == [200, 200]
