"""Export destination models (not in the spec: issue 17 adds them). A webhook's signing secret appears in one
model only, DestinationCreated, returned once by POST."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from aurion.models.base import NO_CONTROL_CHARACTERS, SpecModel

DestinationName = Annotated[StrictStr, Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS)]
# A plain, deliberately narrow address shape (no display names, no comments, no quoted parts, no IP literals).
EmailAddress = Annotated[
    StrictStr, Field(min_length=3, max_length=254, pattern=r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
]
WebhookUrl = Annotated[StrictStr, Field(min_length=8, max_length=2000, pattern=NO_CONTROL_CHARACTERS)]
DestinationIds = Annotated[list[uuid.UUID], Field(max_length=20)]
DeliveryStatus = Literal["pending", "delivered", "failed", "skipped"]


class EmailDestinationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["email"]
    name: DestinationName
    email: EmailAddress = Field(
        description="A user of the tenant (verified at once) or any address, which confirms a token e-mailed to it"
    )


class WebhookDestinationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook"]
    name: DestinationName
    url: WebhookUrl = Field(description="https:// URL of a public host; signed POSTs (docs/exports.md)")


class DestinationVerify(BaseModel):
    """Body of POST /export-destinations/{id}/verify: the token the address received."""

    model_config = ConfigDict(extra="forbid")

    token: Annotated[StrictStr, Field(min_length=1, max_length=200)]


class Destination(SpecModel):
    destination_id: str
    kind: Literal["email", "webhook"]
    name: str
    email: str | None
    url: str | None
    verified: bool = Field(description="E-mail: the address is a tenant user's or confirmed its token; webhook: true")
    enabled: bool = Field(description="False once its deliveries kept failing (disabled_reason says why)")
    disabled_reason: str | None
    disabled_at: str | None
    consecutive_failures: int
    created_at: str


class DestinationCreated(SpecModel):
    destination: Destination
    signing_secret: str | None = Field(
        description="Webhooks only: the HMAC-SHA256 signing secret, shown this once (docs/exports.md)"
    )


class DestinationList(SpecModel):
    destinations: list[Destination]


class Delivery(SpecModel):
    delivery_id: str
    export_id: str
    destination_id: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = Field(description="Webhooks: the receiver's last HTTP status")
    last_error: str | None
    created_at: str
    last_attempt_at: str | None
    delivered_at: str | None


class DeliveryList(SpecModel):
    deliveries: list[Delivery]


# Body of POST /export-destinations: which fields apply is chosen by `kind`.
DestinationCreate = Annotated[EmailDestinationCreate | WebhookDestinationCreate, Field(discriminator="kind")]
