"""Daily budgets of the phone search: what stops a redacted number being recovered by suffix enumeration.

The attack (issue 13): a number is shown as `***-***-4223`; searching `?phone=d4223` for d = 0..9, the one digit
that still finds the call is the next one; repeat. Ten probes per digit, about 35 for a whole number. The minute
limit (10 per minute per user, aurion.ratelimit) only slows that to minutes, and keys or accounts multiply it.

What it costs here (aurion.clock, so tests move time by hand):
- **distinct probes**: in any 24 hours a principal (a user; for API keys, all the tenant's keys together) may search
  at most DISTINCT_PER_PRINCIPAL different digit strings, the tenant at most DISTINCT_PER_TENANT. Repeating a search
  already made in the window is free: it tells nothing new.
- **narrowing probes**: a search whose digits without their first one were already searched in the tenant within
  30 days (MEMORY), or are the tail of another search there, extends a known suffix by one digit: the enumeration
  step. In any 24 hours a principal may make NARROWING_PER_PRINCIPAL of them and the whole tenant
  NARROWING_PER_TENANT. Counted across the tenant, so ten accounts probing one digit each are as visible, and as
  limited, as one account probing ten; every narrowing probe is an audit row (`call_search.narrowing`, target
  `***-***-4223 (5 digits)`, outcome allowed or budget_exhausted) and a warning in the log.
Measured with the attack of issue 13 on +1 562 200 4223 (tests/integration/test_call_search_enumeration.py): the 7
unknown digits need 22 narrowing probes, so one user needs 10 days of waiting, and a whole tenant with any number
of accounts and keys a week, every probe in the audit log. A legitimate search (a full number, or the last 4 digits
read from a record) does not narrow. Guessing whole numbers instead is bounded by the distinct budget (50 a day).

The probes are stored as HMACs of the digits (migration 0013), never the digits.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from aurion import clock
from aurion.db import Transaction
from aurion.errors import RateLimited, rate_limit_headers

WINDOW: Final = timedelta(hours=24)
# How long a probe is remembered to tell a narrowing one: well past the budgets' window, so that waiting a day does
# not make the next step of an enumeration look like a first search.
MEMORY: Final = timedelta(days=30)
DISTINCT_PER_PRINCIPAL: Final = 50
DISTINCT_PER_TENANT: Final = 300
NARROWING_PER_PRINCIPAL: Final = 2
NARROWING_PER_TENANT: Final = 3
# The principal of every API key of a tenant: a limit that protects personal data cannot be multiplied by keys.
API_KEYS_PRINCIPAL: Final = "api_keys"

DISTINCT_DETAIL = "Phone search budget exhausted: too many different numbers searched in the last 24 hours"
NARROWING_DETAIL = (
    "Phone search budget exhausted: too many searches extending a number already searched in the last 24 hours"
)

# One budget check at a time per tenant: two concurrent probes must not both see the last unit left.
LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('aurion.search_budget:' || :tenant_id, 0))"
PRUNE_SQL = "DELETE FROM search_probes WHERE tenant_id = CAST(:tenant_id AS uuid) AND probed_at <= :since"
# The budgets count the last WINDOW; what was searched at all is remembered for MEMORY.
STATS_SQL = """
WITH day AS (SELECT * FROM search_probes WHERE tenant_id = CAST(:tenant_id AS uuid) AND probed_at > :since)
SELECT (SELECT count(*) FROM day WHERE principal = :principal) AS principal_probes,
       (SELECT count(*) FROM day) AS tenant_probes,
       (SELECT count(*) FROM day WHERE narrowing AND principal = :principal) AS principal_narrowing,
       (SELECT count(*) FROM day WHERE narrowing) AS tenant_narrowing,
       EXISTS (SELECT 1 FROM day WHERE principal = :principal AND term_hash = :term_hash) AS repeat,
       (SELECT min(probed_at) FROM day WHERE principal = :principal) AS principal_oldest,
       (SELECT min(probed_at) FROM day) AS tenant_oldest,
       (SELECT min(probed_at) FROM day WHERE narrowing AND principal = :principal) AS principal_narrowing_oldest,
       (SELECT min(probed_at) FROM day WHERE narrowing) AS tenant_narrowing_oldest,
       EXISTS (SELECT 1 FROM search_probes WHERE tenant_id = CAST(:tenant_id AS uuid) AND term_hash = :term_hash)
           AS searched_in_tenant,
       EXISTS (SELECT 1 FROM search_probes WHERE tenant_id = CAST(:tenant_id AS uuid)
               AND (term_hash = :tail_hash OR tail_hash = :tail_hash)) AS extends_known_suffix
"""
INSERT_SQL = """
INSERT INTO search_probes (tenant_id, principal, term_hash, tail_hash, narrowing, probed_at)
VALUES (CAST(:tenant_id AS uuid), :principal, :term_hash, :tail_hash, :narrowing, :probed_at)
"""


class BudgetExhausted(RateLimited):
    """The spec's 429 shape ({"detail", "limit"} with Retry-After and the X-RateLimit pair), over a day's window."""

    def headers(self) -> dict[str, str]:
        window = int(WINDOW.total_seconds())
        return {"Retry-After": str(self.retry_after), **rate_limit_headers(self.limit, 0, self.retry_after, window)}


@dataclass(frozen=True)
class BudgetDecision:
    allowed: bool
    # The probe extends a suffix already probed in the tenant (whether or not it was allowed).
    narrowing: bool
    refusal: BudgetExhausted | None = None


def principal_of(user_id: str, api_key_id: str | None) -> str:
    """Whose budget a search spends: the user (case-insensitively), or every API key of the tenant together."""
    return API_KEYS_PRINCIPAL if api_key_id is not None else user_id.casefold()


def _digest(key: bytes, tenant_id: str, digits: str) -> str:
    return hmac.new(key, f"{tenant_id}:{digits}".encode(), hashlib.sha256).hexdigest()


def _retry_after(oldest: datetime | None, now: datetime) -> int:
    if oldest is None:
        return int(WINDOW.total_seconds())
    return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))


def spend(tx: Transaction, *, tenant_id: str, principal: str, digits: str, secret: str) -> BudgetDecision:
    """Count one phone search of `digits` against the budgets, in the request's tenant transaction."""
    now = clock.now()
    since = now - WINDOW
    key = hashlib.sha256(b"aurion.search_probes:" + secret.encode()).digest()
    term_hash = _digest(key, tenant_id, digits)
    # Four digits are the shortest search: there is no shorter suffix they could extend.
    tail_hash = _digest(key, tenant_id, digits[1:]) if len(digits) > 4 else None
    tx.execute(LOCK_SQL, tenant_id=tenant_id)
    tx.execute(PRUNE_SQL, tenant_id=tenant_id, since=now - MEMORY)
    stats = tx.one(
        STATS_SQL, tenant_id=tenant_id, principal=principal, term_hash=term_hash, tail_hash=tail_hash, since=since
    )
    assert stats is not None
    # The same digits someone of the tenant already searched tell nothing new: only a new digit in front narrows.
    narrowing = tail_hash is not None and bool(stats["extends_known_suffix"]) and not stats["searched_in_tenant"]
    if stats["repeat"]:
        return BudgetDecision(allowed=True, narrowing=False)
    # (applies, count, its limit, the refusal's detail, the oldest probe of the count: when a unit frees up)
    budgets = [
        (True, "principal_probes", DISTINCT_PER_PRINCIPAL, DISTINCT_DETAIL, "principal_oldest"),
        (True, "tenant_probes", DISTINCT_PER_TENANT, DISTINCT_DETAIL, "tenant_oldest"),
        (narrowing, "principal_narrowing", NARROWING_PER_PRINCIPAL, NARROWING_DETAIL, "principal_narrowing_oldest"),
        (narrowing, "tenant_narrowing", NARROWING_PER_TENANT, NARROWING_DETAIL, "tenant_narrowing_oldest"),
    ]
    for applies, count, limit, detail, oldest in budgets:
        if applies and stats[count] >= limit:
            refusal = BudgetExhausted(detail, limit=limit, retry_after=_retry_after(stats[oldest], now))
            return BudgetDecision(allowed=False, narrowing=narrowing, refusal=refusal)
    tx.execute(
        INSERT_SQL,
        tenant_id=tenant_id,
        principal=principal,
        term_hash=term_hash,
        tail_hash=tail_hash,
        narrowing=narrowing,
        probed_at=now,
    )
    return BudgetDecision(allowed=True, narrowing=narrowing)
