"""Audit rows of the export feature: every creation (API or schedule), download attempt and schedule change.

Targets are ids only (`export:<uuid>`, `schedule:<uuid>`), never personal data.
"""

from __future__ import annotations

import uuid

from aurion.db import Transaction

_INSERT = """
INSERT INTO audit_log (tenant_id, actor_user_id, action, target_redacted, result_count, request_id, outcome,
                       created_at)
VALUES (CAST(:tenant_id AS uuid), :actor, :action, :target, :result_count, :request_id, :outcome, :created_at)
"""

_USER_NAMESPACE = uuid.UUID("6f1c3a52-93c4-4f7e-9a55-2b0c8e7d4a10")


def user_uuid(user_id: str) -> str:
    """The uuid stored in created_by: the session's user id, or a stable uuid derived from a non-uuid one."""
    try:
        return str(uuid.UUID(user_id))
    except ValueError:
        return str(uuid.uuid5(_USER_NAMESPACE, user_id))


def audit(
    tx: Transaction,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    target: str,
    outcome: str,
    created_at: object,
    result_count: int | None = None,
    request_id: str | None = None,
) -> None:
    tx.execute(
        _INSERT,
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        target=target,
        result_count=result_count,
        request_id=request_id,
        outcome=outcome,
        created_at=created_at,
    )
