"""A column of an exported dataset: its name, its kind, and how its raw value is made safe to hand out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | int | float | bool | date | datetime
    pii: str | None = None  # phone | email | text: how the raw value is redacted before it is written
