"""What the benchmark calls: each endpoint, its function, and how a range becomes its query string."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Endpoint:
    function: str  # functions/<function>/app.py
    path: str
    v1: bool = False  # start_date/end_date (YYYY-MM-DD) instead of date_from/date_to
    extra: str = ""
    rate_limited: bool = False  # per-user limit: the benchmark resets the limiter before each timed call

    def query(self, start: datetime, end: datetime) -> str:
        if self.v1:
            # v1 days are inclusive: the last day is the one before `end` when `end` is midnight.
            last = (end - timedelta(microseconds=1)).date()
            base = f"start_date={start.date().isoformat()}&end_date={last.isoformat()}"
        else:
            base = f"date_from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&date_to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        return f"{base}&{self.extra}" if self.extra else base


V2 = "/api/v2/analytics/conversations"
CONVERSATION_ENDPOINTS = [
    Endpoint("conversation_analytics", f"{V2}/overview"),
    Endpoint("conversation_analytics", f"{V2}/sla-compliance"),
    Endpoint("conversation_analytics", f"{V2}/csat"),
    Endpoint("conversation_analytics", f"{V2}/csat/responses"),
    Endpoint("conversation_analytics", f"{V2}/resolution-rates"),
    Endpoint("conversation_analytics", f"{V2}/insights"),
    Endpoint("conversation_analytics", f"{V2}/aggregation-health"),
    Endpoint("unified_overview", "/api/v2/analytics/unified-overview"),
]
VOICE_ENDPOINTS = [
    Endpoint("voice_analytics", "/api/v1/analytics/call-metrics", v1=True),
    Endpoint("voice_analytics", "/api/v1/analytics/resolution-rates", v1=True),
    Endpoint("voice_analytics", "/api/v1/analytics/usage-patterns", v1=True),
    Endpoint("call_search", "/api/v1/analytics/search", v1=True, extra="phone=5678", rate_limited=True),
]
