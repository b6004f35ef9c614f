"""One SQS message of the live path: the EventBridge event the rule delivered, holding our event in `detail`.

    {"version": "0", "id": "…", "detail-type": "conversation.v1", "source": "aurionai.helpdesk",
     "time": "2026-03-02T09:15:01Z", ..., "detail": {<the event: envelope and data>}}

Three results:
- a valid event (`Valid`), with the tenant its envelope names;
- an invalid event that still names a tenant (`Invalid`): rejected with its reason, recorded in that tenant's
  `ingest_rejections` and acknowledged, since no retry can make it valid;
- a message that names no tenant (`Unattributable`: not JSON, not an EventBridge event, no usable tenant_id):
  there is no tenant to record it under, so it is reported as failed and, after the queue's retries, kept in the
  dead-letter queue. Its reason is logged with the message id; the body never is (it may hold personal data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from aurion.ingest.apply import Invalid, Rejection, Valid
from aurion.ingest.events import INT64_MAX, LiveEvent

MAX_ERRORS = 10


class BusEvent(BaseModel):
    """EventBridge's envelope around our event. AWS's own fields are not ours to restrict (extra ignored)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    detail_type: str = Field(alias="detail-type")
    time: AwareDatetime | None = None
    detail: LiveEvent

    @model_validator(mode="after")
    def _type_agrees(self) -> Self:
        if self.detail_type != self.detail.type:
            raise ValueError("detail-type must be the event's type")
        return self


_BUS_EVENT = TypeAdapter(BusEvent)


@dataclass(frozen=True)
class Unattributable:
    message_id: str
    reason: str


@dataclass(frozen=True)
class Parsed:
    tenant_id: str | None
    item: Valid | Invalid | Unattributable
    # When EventBridge accepted the event (PutEvents): the start of the ingestion lag.
    published_at: datetime | None = None


def parse_message(message_id: str, body: str) -> Parsed:
    try:
        bus = _BUS_EVENT.validate_json(body)
    except ValidationError as exc:
        return _invalid(message_id, body, exc)
    event = bus.detail
    return Parsed(str(event.tenant_id), Valid(message_id, event), bus.time)


def _invalid(message_id: str, body: str, exc: ValidationError) -> Parsed:
    try:
        outer = json.loads(body)
    except ValueError:
        return Parsed(None, Unattributable(message_id, "body is not JSON"))
    detail = outer.get("detail") if isinstance(outer, dict) else None
    if not isinstance(detail, dict):
        return Parsed(None, Unattributable(message_id, "not an EventBridge event with a detail object"))
    tenant_id = _uuid(detail.get("tenant_id"))
    if tenant_id is None:
        return Parsed(None, Unattributable(message_id, "detail.tenant_id missing or not a UUID"))
    event_id = _uuid(detail.get("event_id"))
    data = detail.get("data")
    version = detail.get("version")
    rejection = Rejection(
        event_key=event_id or f"message:{message_id}",
        reason=describe(exc),
        event_type=_text(detail.get("type")),
        entity_id=_text(data.get("id")) if isinstance(data, dict) else None,
        source_version=version if type(version) is int and 0 <= version <= INT64_MAX else None,
        message_id=message_id,
    )
    return Parsed(tenant_id, Invalid(message_id, rejection))


def describe(exc: ValidationError) -> str:
    """What is wrong, field by field: locations and pydantic's messages, without the offending values."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]:
        loc = list(error["loc"])
        if loc[:1] == ["detail"]:
            loc = loc[1:]
            # The union's tag ("conversation.v1") comes first in the location of a tagged event's errors.
            if loc and isinstance(loc[0], str) and "." in loc[0] and error["type"] != "union_tag_invalid":
                loc = loc[1:]
        where = ".".join(str(part) for part in loc) or "event"
        parts.append(f"{where}: {error['msg']}")
    if exc.error_count() > MAX_ERRORS:
        parts.append(f"and {exc.error_count() - MAX_ERRORS} more")
    return "; ".join(parts)


def _uuid(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(UUID(value))
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value[:100] if isinstance(value, str) else None
