"""Where each snapshot goes: its table, its columns (the snapshot's fields, by name) and its references.

The columns are read off the models, so a field added to a snapshot is a column written at once (and
tests/integration/test_ingest_contract.py checks every field against the table).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from uuid import UUID

from pydantic import AwareDatetime

from aurion.ingest import events as ev

# A reference column and the table (the "kind") whose ids it holds.
Reference = tuple[str, str]


@dataclass(frozen=True)
class Entity:
    model: type[ev.Envelope]
    table: str
    references: tuple[Reference, ...] = ()
    # The table numbers its rows itself (bigint identity): the helpdesk's id is the source_id column.
    keyed_by_source_id: bool = False

    @property
    def type(self) -> str:
        return ev.event_type(self.model)

    @property
    def key_column(self) -> str:
        return "source_id" if self.keyed_by_source_id else "id"

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """(column, SQL type) of every snapshot field but the id, in the model's order."""
        snapshot = self.model.model_fields["data"].annotation
        assert isinstance(snapshot, type)
        return tuple(
            (name, _sql_type(field.annotation)) for name, field in snapshot.model_fields.items() if name != "id"
        )


def _sql_type(annotation: object) -> str:
    if typing.get_origin(annotation) is typing.Annotated:
        return _sql_type(typing.get_args(annotation)[0])
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        (inner,) = args
        return _sql_type(inner)
    if typing.get_origin(annotation) is list:
        return _sql_type(args[0]) + "[]"
    if typing.get_origin(annotation) is typing.Literal:
        return "text"
    if isinstance(annotation, type):
        # bool is tested before int, whose subclass it is.
        known = ((UUID, "uuid"), (AwareDatetime, "timestamptz"), (bool, "boolean"), (int, "bigint"), (str, "text"))
        for python, sql in known:
            if issubclass(annotation, python):
                return sql
    raise TypeError(f"no SQL type for {annotation!r}")


ENTITIES: tuple[Entity, ...] = (
    Entity(ev.TenantEvent, "tenants"),
    Entity(ev.TeamEvent, "teams"),
    Entity(ev.UserEvent, "users", (("team_id", "teams"),)),
    Entity(ev.ContactEvent, "contacts"),
    Entity(ev.EmailChannelEvent, "email_channels"),
    Entity(ev.HelpCenterArticleEvent, "help_center_articles"),
    Entity(
        ev.ConversationEvent,
        "conversations",
        (
            ("contact_id", "contacts"),
            ("assignee_user_id", "users"),
            ("team_id", "teams"),
            ("email_channel_id", "email_channels"),
            ("kb_article_id", "help_center_articles"),
        ),
    ),
    Entity(ev.CsatSurveyEvent, "csat_surveys", (("conversation_id", "conversations"), ("contact_id", "contacts"))),
    Entity(
        ev.ArticleViewEvent,
        "article_views",
        (
            ("article_id", "help_center_articles"),
            ("contact_id", "contacts"),
            ("led_to_conversation_id", "conversations"),
        ),
        keyed_by_source_id=True,
    ),
    Entity(
        ev.ArticleFeedbackEvent, "article_feedback", (("article_id", "help_center_articles"),), keyed_by_source_id=True
    ),
    Entity(
        ev.EmailMessageEvent,
        "email_messages",
        (("email_channel_id", "email_channels"), ("conversation_id", "conversations")),
        keyed_by_source_id=True,
    ),
    Entity(ev.CallEvent, "calls", (("conversation_id", "conversations"),)),
    Entity(
        ev.LlmRequestEvent,
        "llm_usage",
        (("call_id", "calls"), ("conversation_id", "conversations")),
        keyed_by_source_id=True,
    ),
)
BY_TYPE: dict[str, Entity] = {entity.type: entity for entity in ENTITIES}
# Tables whose ids are the helpdesk's: an id already taken by another tenant is refused there.
OWN_ID_KINDS = frozenset(entity.table for entity in ENTITIES if not entity.keyed_by_source_id) - {"tenants"}
