"""API-key management models (not in the spec, which only announces public API keys: the issue adds them).

The full key appears in exactly one model, ApiKeyCreated, returned once by POST; every other view shows the
visible prefix only.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from aurion.models.base import NO_CONTROL_CHARACTERS, SpecModel

KeyName = Annotated[
    StrictStr,
    Field(min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS, description="What the key is for, for people"),
]


class ApiKeyCreate(BaseModel):
    """Body of POST /api/v2/analytics/api-keys."""

    model_config = ConfigDict(extra="forbid")

    name: KeyName


class ApiKeyAccessUpdate(BaseModel):
    """Body of PUT /api/v2/analytics/api-keys/access."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool


class ApiKeyAccess(SpecModel):
    enabled: bool = Field(description="Whether the tenant's API keys authenticate at all (off by default)")


class ApiKey(SpecModel):
    key_id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it; the rest is never shown again")
    role: str = Field(description="What the key may do: always tenant_readonly (the read analytics endpoints)")
    created_by: str
    created_at: str
    last_used_at: str | None = Field(description="Updated at most once a minute")
    revoked_at: str | None


class ApiKeyCreated(ApiKey):
    api_key: str = Field(description="The full key. Shown in this response only: store it now")


class ApiKeyProblem(SpecModel):
    detail: str


class ApiKeyList(SpecModel):
    enabled: bool = Field(description="Whether the tenant's API keys authenticate at all (off by default)")
    keys: list[ApiKey]
