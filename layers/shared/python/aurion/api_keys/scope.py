"""Which routes an API key may call: the spec's read analytics endpoints, and nothing else.

An allowlist, not a denylist: a route added later is closed to keys until someone decides otherwise here.
Exports (files of personal data), export schedules and the API-key admin routes stay session-only; a test
checks this list against every route of template.yaml.
"""

from __future__ import annotations

from typing import Final

_V2 = "/api/v2/analytics"
_V1 = "/api/v1/analytics"

# (method, API Gateway resource path) pairs.
API_KEY_ROUTES: Final = frozenset(
    ("GET", path)
    for path in (
        f"{_V2}/conversations/overview",
        f"{_V2}/conversations/sla-compliance",
        f"{_V2}/conversations/csat",
        f"{_V2}/conversations/csat/responses",
        f"{_V2}/conversations/resolution-rates",
        f"{_V2}/conversations/teams",
        f"{_V2}/conversations/insights",
        f"{_V2}/conversations/aggregation-health",
        f"{_V2}/unified-overview",
        f"{_V1}/call-metrics",
        f"{_V1}/resolution-rates",
        f"{_V1}/usage-patterns",
        f"{_V1}/search",
    )
)


def api_key_may_call(method: str | None, resource: str | None) -> bool:
    return (str(method or "").upper(), str(resource or "")) in API_KEY_ROUTES
