from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """A response object of the spec: no field may be added or left out."""

    model_config = ConfigDict(extra="forbid")
