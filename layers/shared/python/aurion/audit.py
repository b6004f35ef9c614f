"""The audit log: who did what to which (redacted) target, with how many results, and whether it was allowed.

Rows are written through the request's tenant transaction, so row-level security checks the tenant
(WITH CHECK) and the row commits with the work it records. A refusal that ends in an error response
(e.g. 429) must record first and raise only after that transaction has committed: raising inside it would
roll the audit row back with everything else.
"""

from __future__ import annotations

from typing import Final, Literal

from aurion.db import Transaction

CALL_SEARCH: Final = "call_search"
# A phone search that extends an already searched suffix (aurion.search_budget): the suffix-enumeration step.
CALL_SEARCH_NARROWING: Final = "call_search.narrowing"
AuditOutcome = Literal["allowed", "rate_limited", "budget_exhausted"]

INSERT_SQL = """
INSERT INTO audit_log (tenant_id, actor_user_id, action, target_redacted, result_count, request_id, outcome)
VALUES (CAST(:tenant_id AS uuid), :actor_user_id, :action, :target_redacted, :result_count, :request_id, :outcome)
"""


def record(
    tx: Transaction,
    *,
    tenant_id: str,
    actor_user_id: str,
    action: str,
    target_redacted: str | None,
    result_count: int | None,
    request_id: str | None,
    outcome: str,
) -> None:
    """One audit row. `target_redacted` must already be redacted (aurion.redaction): never a raw number or email."""
    tx.execute(
        INSERT_SQL,
        tenant_id=tenant_id,
        actor_user_id=actor_user_id,
        action=action,
        target_redacted=target_redacted,
        result_count=result_count,
        request_id=request_id,
        outcome=outcome,
    )
