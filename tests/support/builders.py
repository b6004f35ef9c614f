"""Hand-built test data: small, explicit rows whose metric answers a test can work out by hand.

Rows are written through the owner connection (which row-level security does not restrict), the
way the helpdesk itself would write them; the code under test reads them as the app role.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pg8000.native

DEFAULT_PRODUCTS = ("voice", "helpdesk", "knowledge_base")


def at(text: str) -> datetime:
    """'2026-03-02 09:15' (UTC) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Builder:
    def __init__(self, conn: pg8000.native.Connection) -> None:
        self.conn = conn

    def insert(self, table: str, **values: Any) -> Any:
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        rows = self.conn.run(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id", **values)
        return rows[0][0]

    def tenant(
        self,
        slug: str | None = None,
        *,
        plan: str = "professional",
        products: tuple[str, ...] = DEFAULT_PRODUCTS,
        name: str | None = None,
    ) -> uuid.UUID:
        slug = slug or f"t-{uuid.uuid4().hex[:10]}"
        return self.insert(
            "tenants", id=uuid.uuid4(), slug=slug, name=name or slug.title(), plan=plan, products=list(products)
        )

    def team(self, tenant_id: uuid.UUID, name: str) -> uuid.UUID:
        return self.insert("teams", id=uuid.uuid4(), tenant_id=tenant_id, name=name)

    def user(
        self, tenant_id: uuid.UUID, name: str, *, team_id: uuid.UUID | None = None, role: str = "agent"
    ) -> uuid.UUID:
        email = name.lower().replace(" ", ".") + "@example.com"
        return self.insert(
            "users", id=uuid.uuid4(), tenant_id=tenant_id, team_id=team_id, name=name, email=email, role=role
        )

    def conversation(self, tenant_id: uuid.UUID, created_at: datetime, **fields: Any) -> uuid.UUID:
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "channel": "email",
            "priority": "medium",
            "status": "open",
            "subject": "Test conversation",
            "created_at": created_at,
        }
        values.update(fields)
        if values.get("resolved_at") is not None and "status" not in fields:
            values["status"] = "resolved"
        return self.insert("conversations", **values)

    def csat(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID, sent_at: datetime, **fields: Any) -> uuid.UUID:
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "conversation_id": conversation_id,
            "channel": "email",
            "sent_at": sent_at,
        }
        values.update(fields)
        return self.insert("csat_surveys", **values)

    def call(self, tenant_id: uuid.UUID, started_at: datetime, **fields: Any) -> uuid.UUID:
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "phone_number": "+33612345678",
            "direction": "inbound",
            "started_at": started_at,
            "ended_at": started_at + timedelta(seconds=fields.get("duration_seconds", 60)),
            "duration_seconds": 60,
            "status": "completed",
            "outcome": "resolved",
        }
        values.update(fields)
        return self.insert("calls", **values)
