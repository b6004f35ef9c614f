"""Helpdesk events for the ingest tests: valid snapshots of one tenant's entities, as the helpdesk would publish.

events = HelpdeskEvents(tenant_id)
team = events.team(name="Tier 1")                    # a team.v1 event (a dict), version 1
events.conversation(team_id=team["data"]["id"], version=2, status="resolved", ...)
consume(db, messages([team, ...]))                    # (message id, EventBridge-wrapped body) pairs
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

T0 = "2025-03-03T09:00:00Z"


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class HelpdeskEvents:
    def __init__(self, tenant_id: Any) -> None:
        self.tenant_id = str(tenant_id)

    def event(
        self,
        type_: str,
        data: dict[str, Any],
        *,
        version: int | None = 1,
        updated_at: str | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": type_,
            "tenant_id": self.tenant_id,
            "event_id": event_id or str(uuid.uuid4()),
            "occurred_at": updated_at or T0,
            "data": {"id": str(uuid.uuid4()), **data},
        }
        if updated_at is not None:
            event["updated_at"] = updated_at
        else:
            event["version"] = version
        return event

    def tenant(self, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {
            "id": self.tenant_id,
            "slug": f"t-{self.tenant_id[:8]}",
            "name": "Ingested Tenant",
            "plan": "professional",
            "products": ["voice", "helpdesk", "knowledge_base"],
            "created_at": "2025-01-01T00:00:00Z",
        }
        return self.event("tenant.v1", {**fields, **data}, version=version)

    def team(self, *, version: int = 1, **data: Any) -> dict[str, Any]:
        return self.event("team.v1", {"name": "Tier 1", "created_at": T0, **data}, version=version)

    def user(self, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {"name": "Ada Agent", "email": "ada@example.com", "role": "agent", "created_at": T0}
        return self.event("user.v1", {**fields, **data}, version=version)

    def contact(self, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {"name": "Carla Customer", "email": "carla@example.org", "phone": "+33612345678", "created_at": T0}
        return self.event("contact.v1", {**fields, **data}, version=version)

    def email_channel(self, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {"address": "support@example.com", "status": "active", "created_at": T0}
        return self.event("email_channel.v1", {**fields, **data}, version=version)

    def article(self, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {"title": "Reset a password", "slug": "reset-password", "status": "published", "created_at": T0}
        return self.event("help_center_article.v1", {**fields, **data}, version=version)

    def conversation(self, *, version: int | None = 1, updated_at: str | None = None, **data: Any) -> dict[str, Any]:
        fields = {"channel": "email", "priority": "medium", "status": "open", "subject": "Help", "created_at": T0}
        return self.event("conversation.v1", {**fields, **data}, version=version, updated_at=updated_at)

    def csat(self, conversation_id: str, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {"conversation_id": conversation_id, "channel": "email", "sent_at": T0}
        return self.event("csat_survey.v1", {**fields, **data}, version=version)

    def article_view(self, article_id: str, *, version: int = 1, **data: Any) -> dict[str, Any]:
        return self.event("article_view.v1", {"article_id": article_id, "viewed_at": T0, **data}, version=version)

    def article_feedback(self, article_id: str, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {"article_id": article_id, "helpful": True, "created_at": T0}
        return self.event("article_feedback.v1", {**fields, **data}, version=version)

    def email_message(self, channel_id: str, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {"email_channel_id": channel_id, "direction": "inbound", "sent_at": T0}
        return self.event("email_message.v1", {**fields, **data}, version=version)

    def call(self, *, version: int | None = 1, updated_at: str | None = None, **data: Any) -> dict[str, Any]:
        fields = {
            "phone_number": "+14155550123",
            "direction": "inbound",
            "started_at": T0,
            "status": "completed",
            "outcome": "resolved",
        }
        return self.event("call.v1", {**fields, **data}, version=version, updated_at=updated_at)

    def llm_request(self, *, version: int = 1, **data: Any) -> dict[str, Any]:
        fields = {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "requested_at": T0,
            "input_tokens": 100,
            "output_tokens": 20,
            "latency_ms": 300,
        }
        return self.event("llm_request.v1", {**fields, **data}, version=version)

    def erasure(self, kind: str, entity_id: str, **ordering: Any) -> dict[str, Any]:
        """A contact.erasure.v1 or conversation.erasure.v1 event (kind: "contact" or "conversation"), without a
        version unless one is given (an erasure is final)."""
        event = self.event(f"{kind}.erasure.v1", {"id": entity_id}, version=None)
        event.pop("version")
        return {**event, **ordering}


def bus_body(event: Any, *, detail_type: str | None = None, time: str = "2025-03-03T09:00:01Z") -> str:
    """The SQS body the ingest rule delivers: the EventBridge event around ours."""
    detail_type = detail_type or (event.get("type") if isinstance(event, dict) else None) or "unknown"
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": "aurionai.helpdesk",
            "account": "123456789012",
            "time": time,
            "region": "eu-west-1",
            "resources": [],
            "detail": event,
        }
    )


def messages(events: list[Any]) -> list[tuple[str, str]]:
    """(message id, body) pairs, one message per event (a str is taken as a raw body)."""
    return [(str(uuid.uuid4()), event if isinstance(event, str) else bus_body(event)) for event in events]


def sqs_event(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The Lambda event of an SQS batch of these messages."""
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": f"handle-{message_id}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1741000000000"},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:ingest",
                "awsRegion": "eu-west-1",
            }
            for message_id, body in pairs
        ]
    }
