"""The event contract: one versioned model per entity, each event an envelope and the entity's whole state.

    {"type": "team.v1", "tenant_id": "…", "event_id": "…", "occurred_at": "2026-03-02T09:15:00Z",
     "version": 7, "data": {"id": "…", "name": "Tier 1", "created_at": "2026-01-05T08:00:00Z"}}

Decisions (docs/ingestion.md says the same for integrators):
- Strict: unknown fields are refused (extra="forbid") in the envelope and in every snapshot. A field we do not
  know is a typo or a newer contract, and silently dropping it would lose data without anyone noticing; a new
  field comes with a new type version (`conversation.v2`), accepted beside the old one. Types are JSON's own
  (no "5" for 5, no 1 for true), times carry their offset, enums are the schema's CHECK constraints, and every
  string and number is bounded so one event always fits a row (and EventBridge's 256 KB).
- Snapshots, not changes: `data` is the entity's full state after the change, so applying the newest one is
  the whole merge rule, whatever arrived before or twice.
- Ordering is the source's: exactly one of `version` (an integer that grows with every change of the entity)
  or `updated_at` (the source's modification time, compared to the microsecond). A source uses one of the two
  per entity type and keeps to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.config import JsonDict

# ---- field types ------------------------------------------------------------------------------------------------

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


# An instant with its UTC offset ("2026-03-02T09:15:00Z", "2026-03-02T10:15:00+01:00"), from 1970 to 2099.
Instant = Annotated[AwareDatetime, Field(ge=EARLIEST, lt=LATEST)]

# PostgreSQL text cannot hold NUL; names and short labels hold no control character at all.
_LABEL = r"^[^\x00-\x1f\x7f]*$"
_FREE_TEXT = r"^[^\x00]*$"


Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_LABEL)]
ContactName = Annotated[str, StringConstraints(max_length=200, pattern=_LABEL)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_LABEL)]
Label100 = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_LABEL)]
Label200 = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_LABEL)]
Subject = Annotated[str, StringConstraints(max_length=1000, pattern=_FREE_TEXT)]
Comment = Annotated[str, StringConstraints(max_length=10_000, pattern=_FREE_TEXT)]
Transcript = Annotated[str, StringConstraints(max_length=100_000, pattern=_FREE_TEXT)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")]
# E.164: a plus, a country code, at most 15 digits in all.
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]

Plan = Literal["starter", "professional", "enterprise"]
Product = Literal["voice", "helpdesk", "knowledge_base"]
Channel = Literal["email", "chat", "voice", "whatsapp", "sms", "web"]
Direction = Literal["inbound", "outbound"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


# ---- snapshots: one per entity ----------------------------------------------------------------------------------


class Snapshot(_Strict):
    id: UUID = Field(description="The entity's id in the helpdesk (unique within the tenant, stable)")


class Tenant(Snapshot):
    """A helpdesk tenant. Its id is the envelope's tenant_id. Whether API keys are enabled is not part of it: that
    is the tenant admin's setting in analytics."""

    slug: Slug = Field(description="Short unique name, e.g. acme")
    name: Name
    plan: Plan
    products: list[Product] = Field(max_length=3, description="Enabled products, each at most once")
    created_at: Instant

    @model_validator(mode="after")
    def _products_once(self) -> Self:
        if len(set(self.products)) != len(self.products):
            raise ValueError("products: each product at most once")
        return self


class Team(Snapshot):
    name: Name
    created_at: Instant


class User(Snapshot):
    """An agent, supervisor or admin of the helpdesk."""

    team_id: UUID | None = None
    name: Name
    email: Email
    role: Key = Field(description="The helpdesk role, e.g. agent, supervisor, admin")
    created_at: Instant


class Contact(Snapshot):
    """A customer. The suppression times are when mail to them hard-bounced or they reported it as spam."""

    name: ContactName
    email: Email | None = None
    phone: PhoneNumber | None = None
    email_bounced_at: Instant | None = None
    email_complained_at: Instant | None = None
    created_at: Instant


class EmailChannel(Snapshot):
    """A mailbox the helpdesk receives support mail on."""

    address: Email
    status: Literal["active", "inactive", "error"]
    created_at: Instant


class HelpCenterArticle(Snapshot):
    title: Title
    slug: Slug
    status: Literal["draft", "published", "archived"]
    published_at: Instant | None = None
    created_at: Instant


class Conversation(Snapshot):
    """A support conversation (ticket). References may name entities that have not arrived yet: they are kept
    and join once those arrive. The SLA due times are null when no SLA policy applied."""

    channel: Channel
    priority: Literal["urgent", "high", "medium", "low"]
    status: Literal["open", "pending", "resolved", "closed"]
    subject: Subject
    topic: Label200 | None = None
    contact_id: UUID | None = None
    assignee_user_id: UUID | None = None
    team_id: UUID | None = None
    email_channel_id: UUID | None = None
    kb_article_id: UUID | None = Field(
        default=None, description="The help-center article the AI answered from, when it resolved with one"
    )
    created_at: Instant
    first_response_at: Instant | None = None
    resolved_at: Instant | None = None
    resolved_by: Literal["ai", "human"] | None = None
    escalated: bool = False
    first_response_due_at: Instant | None = None
    resolution_due_at: Instant | None = None

    @model_validator(mode="after")
    def _resolution_is_whole(self) -> Self:
        if (self.resolved_at is None) != (self.resolved_by is None):
            raise ValueError("resolved_at and resolved_by: both or neither")
        return self


class CsatSurvey(Snapshot):
    """A satisfaction survey sent after a conversation, and its answer once given (a rating, a comment, or
    both)."""

    conversation_id: UUID
    contact_id: UUID | None = None
    channel: Channel
    sent_at: Instant
    responded_at: Instant | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    comment: Comment | None = None
    followup_answer: Comment | None = None

    @model_validator(mode="after")
    def _rated_when_responded(self) -> Self:
        if self.rating is not None and self.responded_at is None:
            raise ValueError("rating needs responded_at")
        return self


class ArticleView(Snapshot):
    article_id: UUID
    viewed_at: Instant
    contact_id: UUID | None = None
    led_to_conversation_id: UUID | None = Field(
        default=None, description="Set when the reader opened a conversation within 24 hours (no deflection)"
    )


class ArticleFeedback(Snapshot):
    article_id: UUID
    helpful: bool
    created_at: Instant


class EmailMessage(Snapshot):
    email_channel_id: UUID
    conversation_id: UUID | None = None
    direction: Direction
    sent_at: Instant


class Call(Snapshot):
    """A voice call. The transcript must keep the whole event within EventBridge's 256 KB."""

    phone_number: PhoneNumber
    direction: Direction
    started_at: Instant
    ended_at: Instant | None = None
    duration_seconds: Count | None = None
    status: Literal["completed", "failed"]
    outcome: Literal["resolved", "ticket_created", "escalated", "transferred", "voicemail", "abandoned"]
    category: Label100 | None = None
    first_call_resolution: bool = False
    resolution_seconds: Count | None = Field(
        default=None, description="Seconds from the start of the call until the issue was resolved"
    )
    conversation_id: UUID | None = None
    transcript: Transcript | None = None


class LlmRequest(Snapshot):
    """One request of the helpdesk's AI to a language model (for a call, a conversation, or neither)."""

    call_id: UUID | None = None
    conversation_id: UUID | None = None
    provider: Label100
    model: Label200
    requested_at: Instant
    input_tokens: Count
    output_tokens: Count
    latency_ms: Count
    is_error: bool = False


# ---- envelopes --------------------------------------------------------------------------------------------------


# What the model validator _one_ordering checks, for JSON Schema validators.
_ONE_ORDERING: JsonDict = {
    "oneOf": [
        {"required": ["version"], "properties": {"version": {"type": "integer"}}},
        {"required": ["updated_at"], "properties": {"updated_at": {"type": "string"}}},
    ]
}


class Envelope(_Strict):
    model_config = ConfigDict(json_schema_extra=_ONE_ORDERING)

    type: str = Field(description="The entity and the contract's version, e.g. conversation.v1")
    tenant_id: UUID = Field(description="The tenant the entity belongs to; rows are written into it only")
    event_id: UUID = Field(description="Unique per event; a rejection is recorded once per event_id")
    occurred_at: Instant = Field(description="When the change happened in the helpdesk")
    version: int | None = Field(
        default=None, ge=0, le=INT64_MAX, description="The entity's version, growing with every change"
    )
    updated_at: Instant | None = Field(default=None, description="The entity's modification time, instead of version")
    data: Snapshot

    @model_validator(mode="after")
    def _one_ordering(self) -> Self:
        if (self.version is None) == (self.updated_at is None):
            raise ValueError("exactly one of version or updated_at")
        return self

    @property
    def source_version(self) -> int:
        """What the merge compares: the version, or updated_at in microseconds since 1970."""
        if self.version is not None:
            return self.version
        assert self.updated_at is not None  # _one_ordering
        return (self.updated_at - EARLIEST) // _MICROSECOND


class TenantEvent(Envelope):
    type: Literal["tenant.v1"]
    data: Tenant

    @model_validator(mode="after")
    def _own_tenant(self) -> Self:
        if self.data.id != self.tenant_id:
            raise ValueError("data.id must be the envelope's tenant_id")
        return self


class TeamEvent(Envelope):
    type: Literal["team.v1"]
    data: Team


class UserEvent(Envelope):
    type: Literal["user.v1"]
    data: User


class ContactEvent(Envelope):
    type: Literal["contact.v1"]
    data: Contact


class EmailChannelEvent(Envelope):
    type: Literal["email_channel.v1"]
    data: EmailChannel


class HelpCenterArticleEvent(Envelope):
    type: Literal["help_center_article.v1"]
    data: HelpCenterArticle


class ConversationEvent(Envelope):
    type: Literal["conversation.v1"]
    data: Conversation


class CsatSurveyEvent(Envelope):
    type: Literal["csat_survey.v1"]
    data: CsatSurvey


class ArticleViewEvent(Envelope):
    type: Literal["article_view.v1"]
    data: ArticleView


class ArticleFeedbackEvent(Envelope):
    type: Literal["article_feedback.v1"]
    data: ArticleFeedback


class EmailMessageEvent(Envelope):
    type: Literal["email_message.v1"]
    data: EmailMessage


class CallEvent(Envelope):
    type: Literal["call.v1"]
    data: Call


class LlmRequestEvent(Envelope):
    type: Literal["llm_request.v1"]
    data: LlmRequest


# Parents first: the order the docs list them in and a batch applies them in.
EVENT_MODELS: tuple[type[Envelope], ...] = (
    TenantEvent,
    TeamEvent,
    UserEvent,
    ContactEvent,
    EmailChannelEvent,
    HelpCenterArticleEvent,
    ConversationEvent,
    CsatSurveyEvent,
    ArticleViewEvent,
    ArticleFeedbackEvent,
    EmailMessageEvent,
    CallEvent,
    LlmRequestEvent,
)


# ---- erasure (right to be forgotten) -----------------------------------------------------------------------------


class ErasureTarget(Snapshot):
    """Which entity to erase: its id, nothing else (an erasure request carries no personal data)."""


# An erasure needs no ordering: it is final, whatever arrived before it or arrives after (docs/ingestion.md,
# "Erasure"). A version or updated_at may still be sent, not both.
_AT_MOST_ONE_ORDERING: JsonDict = {"not": {"required": ["version", "updated_at"]}}


class ErasureEnvelope(Envelope):
    model_config = ConfigDict(json_schema_extra=_AT_MOST_ONE_ORDERING)

    data: ErasureTarget

    @model_validator(mode="after")
    def _one_ordering(self) -> Self:
        if self.version is not None and self.updated_at is not None:
            raise ValueError("at most one of version or updated_at")
        return self

    @property
    def source_version(self) -> int:
        if self.version is None and self.updated_at is None:
            return 0
        return super().source_version


class ContactErasureEvent(ErasureEnvelope):
    """Erase a contact: its name, email and phone number, and what its conversations, surveys and calls hold of it
    (subjects, comments, follow-up answers, transcripts, phone numbers). Counts and times stay, so metrics do."""

    type: Literal["contact.erasure.v1"]


class ConversationErasureEvent(ErasureEnvelope):
    """Erase one conversation's free text: its subject, its surveys' comments and follow-up answers, its calls'
    transcripts and phone numbers. The conversation stays (counts, times, team), so metrics do."""

    type: Literal["conversation.erasure.v1"]


ERASURE_MODELS: tuple[type[ErasureEnvelope], ...] = (ContactErasureEvent, ConversationErasureEvent)


def event_type(model: type[Envelope]) -> str:
    """The `type` a model accepts, e.g. "conversation.v1"."""
    annotation = model.model_fields["type"].annotation
    (value,) = annotation.__args__  # type: ignore[union-attr]
    return str(value)


EVENT_TYPES: dict[str, type[Envelope]] = {event_type(model): model for model in EVENT_MODELS}
ERASURE_TYPES: dict[str, type[ErasureEnvelope]] = {event_type(model): model for model in ERASURE_MODELS}

Event = Annotated[
    TenantEvent
    | TeamEvent
    | UserEvent
    | ContactEvent
    | EmailChannelEvent
    | HelpCenterArticleEvent
    | ConversationEvent
    | CsatSurveyEvent
    | ArticleViewEvent
    | ArticleFeedbackEvent
    | EmailMessageEvent
    | CallEvent
    | LlmRequestEvent,
    Field(discriminator="type"),
]

# What the live path accepts: the snapshots and the erasures. Import files (the bulk path) hold snapshots only: an
# erasure is a request to act now, not history.
LiveEvent = Annotated[
    TenantEvent
    | TeamEvent
    | UserEvent
    | ContactEvent
    | EmailChannelEvent
    | HelpCenterArticleEvent
    | ConversationEvent
    | CsatSurveyEvent
    | ArticleViewEvent
    | ArticleFeedbackEvent
    | EmailMessageEvent
    | CallEvent
    | LlmRequestEvent
    | ContactErasureEvent
    | ConversationErasureEvent,
    Field(discriminator="type"),
]
