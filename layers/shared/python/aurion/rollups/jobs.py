"""The rollup queue's messages: a tenant's regular run {"tenant_id"}, or one part of a split rebuild
{"tenant_id", "first", "last"} (ISO days). Ids and days only, nothing of the tenant's data."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date

from aurion.rollups.parts import Part


class BadJob(ValueError):
    """A message the worker cannot act on: a bug of the sender, kept (dead-letter queue) for someone to read."""


@dataclass(frozen=True)
class Job:
    tenant_id: str
    part: Part | None = None

    def body(self) -> str:
        message: dict[str, str] = {"tenant_id": self.tenant_id}
        if self.part is not None:
            message |= {"first": self.part.first.isoformat(), "last": self.part.last.isoformat()}
        return json.dumps(message, separators=(",", ":"))


def parse_job(body: str) -> Job:
    try:
        message = json.loads(body)
        tenant_id = str(uuid.UUID(message["tenant_id"]))
        if "first" not in message and "last" not in message:
            return Job(tenant_id)
        part = Part(date.fromisoformat(message["first"]), date.fromisoformat(message["last"]))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BadJob(f"not a rollup job ({type(exc).__name__})") from exc
    if part.last < part.first:
        raise BadJob("a part that ends before it starts")
    return Job(tenant_id, part)
