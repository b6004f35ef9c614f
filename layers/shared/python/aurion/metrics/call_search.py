"""GET /api/v1/analytics/search: calls whose number ends with the digits given, rate limited and audited.

Order of work, each step for a reason:
1. role guard and plan gate (tenant_scope): a caller who may not search uses no quota and leaves no audit row;
2. the rate limit (aurion.ratelimit, 10 per minute per tenant + user; for API keys, per tenant: every key of a
   tenant shares one count, so minting keys does not multiply searches);
3. the daily budgets (aurion.search_budget): distinct probes, and probes that extend an already searched suffix
   (suffix enumeration), per principal and per tenant; a narrowing probe is an audit row of its own and a warning;
4. the search, through calls_tenant_phone_suffix_idx: "ends with 5678" is the prefix "8765" of the reversed
   digits, a range scan of the index instead of a scan of the tenant's calls. The prefix test is starts_with
   (`^@`), not LIKE: under row-level security the planner may only turn a *leakproof* operator into an index
   condition, and textlike is not leakproof (LIKE gives a sequential scan for the app role, an index scan for a
   superuser). starts_with is leakproof, compares literally (no wildcard to escape), and PostgreSQL 15+ derives
   the same `~>=~ '8765' AND ~<~ '8766'` index range from it as from LIKE '8765%';
5. one audit row, allowed, rate_limited or budget_exhausted, in the same transaction; a refusal raises 429 only
   after that transaction has committed, so the row is kept.

Numbers never leave PostgreSQL whole: the query returns the last 4 digits only, and they are shown as
***-***-5678. The searched term is likewise only ever logged, stored or returned redacted.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from aurion import audit, search_budget
from aurion.access import Scope, tenant_scope
from aurion.auth.caller import Caller
from aurion.errors import RateLimited
from aurion.logs import logger
from aurion.metrics.common import range_params
from aurion.models.voice import CallSearchResponse, CallSearchResult, RateLimitedBody
from aurion.ratelimit import search_limiter
from aurion.redaction import redact_phone
from aurion.settings import get_settings
from aurion.timefmt import iso_z
from aurion.voice_params import CallSearch, zone_known_to_database

RATE_LIMITED_DETAIL = "Search rate limit exceeded: at most 10 phone searches per minute"

_LIMIT_HEADERS: dict[str, OpenAPIResponseHeader] = {
    "X-RateLimit-Limit": {"description": "Searches allowed per minute per user (10)", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Searches left in the moving minute", "schema": {"type": "integer"}},
}
# The route's documented responses (the 200 schema comes from the return type).
SEARCH_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {"description": "Matching calls, newest first, numbers redacted", "headers": _LIMIT_HEADERS},
    429: {
        "description": "More than 10 searches in the last minute by this user (every API key of a tenant counts as "
        "one caller), or the day's search budget is spent (docs/security.md); the refusal is audited",
        "headers": {
            **_LIMIT_HEADERS,
            "Retry-After": {"description": "Seconds until a search is allowed again", "schema": {"type": "integer"}},
        },
        "content": {"application/json": {"model": RateLimitedBody}},
    },
}

SEARCH_SQL = """
SELECT id::text AS call_id,
       reverse(left(phone_digits_reversed, 4)) AS last_digits,
       started_at, duration_seconds, outcome, status,
       count(*) OVER () AS total_count
FROM calls
WHERE tenant_id = CAST(:tenant_id AS uuid)
  AND phone_digits_reversed ^@ :reversed_digits
  AND started_at BETWEEN :start AND :end
ORDER BY started_at DESC, id DESC
LIMIT :limit
"""


def search_params(tenant_id: str, query: CallSearch) -> dict[str, Any]:
    """SEARCH_SQL's parameters (also used by the test that checks its plan)."""
    return {
        **range_params(tenant_id, query.dates.window),
        # "Ends with 5678" = the reversed digits start with "8765" (a literal prefix: no wildcards exist here).
        "reversed_digits": query.digits[::-1],
        "limit": query.limit,
    }


def _result(row: dict[str, Any]) -> CallSearchResult:
    return CallSearchResult(
        call_id=row["call_id"],
        phone_number_redacted=redact_phone(row["last_digits"]),
        start_time=iso_z(row["started_at"]) or "",
        duration_seconds=row["duration_seconds"],
        outcome=row["outcome"],
        status=row["status"],
    )


def _spend_budget(scope: Scope, principal: str, digits: str) -> search_budget.BudgetDecision:
    decision = search_budget.spend(
        scope.tx,
        tenant_id=scope.tenant.id,
        principal=principal,
        digits=digits,
        secret=get_settings().probe_key(),
    )
    if decision.narrowing:
        # The enumeration step: its own audit row, with the length that the redacted suffix alone would hide.
        audit.record(
            scope.tx,
            tenant_id=scope.tenant.id,
            actor_user_id=scope.caller.user_id,
            action=audit.CALL_SEARCH_NARROWING,
            target_redacted=f"{redact_phone(digits)} ({len(digits)} digits)",
            result_count=None,
            request_id=scope.caller.request_id,
            outcome="allowed" if decision.allowed else "budget_exhausted",
        )
        logger.warning(
            "phone search extends a number already searched in this tenant",
            extra={"alert": "call_search_narrowing", "allowed": decision.allowed, "api_key": principal == "api_keys"},
        )
    return decision


def search_calls(caller: Caller, query: CallSearch) -> Response[CallSearchResponse]:
    term = redact_phone(query.digits)
    principal = search_budget.principal_of(caller.user_id, caller.api_key_id)
    rows: list[dict[str, Any]] = []
    refusal: RateLimited | None = None
    with zone_known_to_database(), tenant_scope(caller) as scope:
        decision = search_limiter().hit(scope.tenant.id, principal)
        outcome: audit.AuditOutcome = "allowed" if decision.allowed else "rate_limited"
        if not decision.allowed:
            refusal = decision.error(RATE_LIMITED_DETAIL)
        elif (budget := _spend_budget(scope, principal, query.digits)).refusal is not None:
            refusal, outcome = budget.refusal, "budget_exhausted"
        else:
            rows = scope.tx.all(SEARCH_SQL, **search_params(scope.tenant.id, query))
        total = rows[0]["total_count"] if rows else 0
        audit.record(
            scope.tx,
            tenant_id=scope.tenant.id,
            actor_user_id=caller.user_id,
            action=audit.CALL_SEARCH,
            target_redacted=term,
            result_count=total,
            request_id=caller.request_id,
            outcome=outcome,
        )
    logger.info(
        "call search",
        extra={
            "outcome": outcome,
            "result_count": total,
            "rate_limit_remaining": decision.remaining,
            "rate_limit_degraded": decision.degraded,
        },
    )
    if refusal is not None:
        raise refusal
    body = CallSearchResponse(results=[_result(row) for row in rows], total_count=total, search_term_redacted=term)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body, headers=decision.headers())
