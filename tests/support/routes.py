"""How to call each route of template.yaml: who may, what it answers on success, what to send.

Used by the isolation matrix (tests/integration/test_isolation_matrix.py), which fails for a route of the
template that has no recipe here, and by the log scan (tests/integration/test_log_hygiene.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aurion.auth.roles import EXPORT_ROLES, READ_ROLES
from tests.support.stack import V1_RANGE, V2_RANGE


@dataclass(frozen=True)
class Recipe:
    roles: frozenset[str]  # who may call it; everyone else gets 403
    success: int = 200
    query: str = ""  # "{phone}" is replaced by a phone number of tenant A's calls
    body: dict[str, Any] | None = None


READ, ADMIN = frozenset(READ_ROLES), frozenset(EXPORT_ROLES)
V1, V2 = "/api/v1/analytics", "/api/v2/analytics"
SCHEDULE_BODY = {
    "name": "Matrix weekly",
    "cadence": "weekly",
    "weekday": "monday",
    "time_of_day": "06:00",
    "format": "csv",
}
RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", f"{V2}/conversations/overview"): Recipe(READ, query=V2_RANGE),
    ("GET", f"{V2}/conversations/sla-compliance"): Recipe(READ, query=V2_RANGE),
    ("GET", f"{V2}/conversations/csat"): Recipe(READ, query=V2_RANGE),
    ("GET", f"{V2}/conversations/csat/responses"): Recipe(READ, query=f"{V2_RANGE}&limit=200"),
    ("GET", f"{V2}/conversations/resolution-rates"): Recipe(READ, query=V2_RANGE),
    ("GET", f"{V2}/conversations/teams"): Recipe(READ),
    ("GET", f"{V2}/conversations/insights"): Recipe(READ, query=V2_RANGE),
    ("GET", f"{V2}/conversations/aggregation-health"): Recipe(READ, query=V2_RANGE),
    ("GET", f"{V2}/unified-overview"): Recipe(READ, query=V2_RANGE),
    ("GET", f"{V1}/call-metrics"): Recipe(READ, query=V1_RANGE),
    ("GET", f"{V1}/resolution-rates"): Recipe(READ, query=V1_RANGE),
    ("GET", f"{V1}/usage-patterns"): Recipe(READ, query=V1_RANGE),
    ("GET", f"{V1}/search"): Recipe(READ, query=f"phone={{phone}}&{V1_RANGE}&limit=100"),
    ("POST", f"{V1}/export"): Recipe(
        ADMIN, body={"format": "csv", "start_date": "2026-02-27", "end_date": "2026-03-09", "scope": "all"}
    ),
    ("GET", f"{V1}/exports"): Recipe(ADMIN),
    ("GET", f"{V1}/exports/{{export_id}}"): Recipe(ADMIN),
    # The matrix's export has succeeded: an admin is told there is nothing to cancel (cancelling a queued or a
    # running one: tests/integration/test_export_cancel.py).
    ("POST", f"{V1}/exports/{{export_id}}/cancel"): Recipe(ADMIN, success=409),
    ("DELETE", f"{V1}/exports/{{export_id}}"): Recipe(ADMIN, success=204),
    ("GET", f"{V1}/export/{{export_id}}/download"): Recipe(ADMIN, success=302),
    # The delivered link: no session opens it, only its token (this one forged, so every caller of either tenant
    # gets 403; a real token of tenant A never opens B's export: tests/integration/test_export_download_link.py).
    ("GET", f"{V1}/export/{{export_id}}/link"): Recipe(frozenset(), success=403, query=f"token={'0' * 32}.{'0' * 64}"),
    ("POST", f"{V1}/export-schedules"): Recipe(ADMIN, success=201, body=SCHEDULE_BODY),
    ("GET", f"{V1}/export-schedules"): Recipe(ADMIN),
    ("GET", f"{V1}/export-schedules/{{schedule_id}}"): Recipe(ADMIN),
    ("PATCH", f"{V1}/export-schedules/{{schedule_id}}"): Recipe(ADMIN, body={"name": "Renamed by the matrix"}),
    ("DELETE", f"{V1}/export-schedules/{{schedule_id}}"): Recipe(ADMIN, success=204),
    # An IP literal of a public network: the SSRF guard needs no DNS lookup to accept it.
    ("POST", f"{V1}/export-destinations"): Recipe(
        ADMIN, success=201, body={"kind": "webhook", "name": "Matrix hook", "url": "https://93.184.216.34/aurion"}
    ),
    ("GET", f"{V1}/export-destinations"): Recipe(ADMIN),
    ("GET", f"{V1}/export-destinations/{{destination_id}}"): Recipe(ADMIN),
    ("DELETE", f"{V1}/export-destinations/{{destination_id}}"): Recipe(ADMIN, success=204),
    # The matrix's destination is an address waiting for this code (tests/integration/test_isolation_matrix.py).
    ("POST", f"{V1}/export-destinations/{{destination_id}}/verify"): Recipe(ADMIN, body={"token": "matrix-code"}),
    ("POST", f"{V1}/export-destinations/{{destination_id}}/enable"): Recipe(ADMIN),
    ("GET", f"{V1}/export-destinations/{{destination_id}}/deliveries"): Recipe(ADMIN),
    ("GET", f"{V1}/imports"): Recipe(ADMIN),
    ("GET", f"{V1}/imports/{{import_id}}"): Recipe(ADMIN),
    ("GET", f"{V2}/api-keys/access"): Recipe(ADMIN),
    ("PUT", f"{V2}/api-keys/access"): Recipe(ADMIN, body={"enabled": True}),
    ("POST", f"{V2}/api-keys"): Recipe(ADMIN, success=201, body={"name": "Matrix key"}),
    ("GET", f"{V2}/api-keys"): Recipe(ADMIN),
    ("DELETE", f"{V2}/api-keys/{{key_id}}"): Recipe(ADMIN, success=204),
}
