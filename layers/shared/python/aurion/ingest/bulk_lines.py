"""The lines of an import file, streamed, and their validation against the event contract in batches.

A file is NDJSON, one event per line (the live path's event, without EventBridge around it), or CSV
(aurion/ingest/bulk_csv.py turns each record into that event), optionally gzip. It is read in fixed-size blocks
from whatever `read(n)` gives (an S3 body, a local file): never whole in memory.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Protocol
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from aurion.ingest import events as ev
from aurion.ingest.messages import MAX_ERRORS

# Small enough that a damaged gzip still yields the lines before the damage.
_BLOCK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
# A line longer than this is refused without being parsed: one event always fits EventBridge's 256 KB.
MAX_LINE_BYTES = 1 << 20


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class FileUnreadable(Exception):
    """The file as a whole cannot be read (corrupt gzip): no line of it after this point can be trusted."""


def lines(stream: Readable) -> Iterator[bytes]:
    """Every line of an NDJSON file (without its newline), decompressed when the file starts as gzip does."""
    return raw_lines(stream)


def raw_lines(stream: Readable) -> Iterator[bytes]:
    """Every line of the file's bytes (without its newline), decompressed when the file starts as gzip does."""
    head = stream.read(2)
    source: Readable = _Prefixed(head, stream)
    if head == _GZIP_MAGIC:
        source = gzip.GzipFile(fileobj=_Prefixed(head, stream), mode="rb")  # type: ignore[call-overload]
    rest = b""
    try:
        while block := source.read(_BLOCK):
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            yield from parts
    except (OSError, EOFError, zlib.error) as exc:
        raise FileUnreadable(f"the file cannot be read: {type(exc).__name__}") from exc
    if rest:
        yield rest


class _Prefixed:
    """A stream whose first bytes were already read, read again from its start."""

    def __init__(self, head: bytes, stream: Readable) -> None:
        self._head, self._stream = head, stream

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            if size < 0:
                return head + self._stream.read()
            return head + self._stream.read(max(size - len(head), 0)) if size > len(head) else head
        return self._stream.read(size)


class Refused(bytes):
    """A line known to be wrong before it is parsed (a CSV record of the wrong shape): rejected with its reason."""

    reason: str

    def __new__(cls, reason: str) -> Refused:
        line = super().__new__(cls, b"-")
        line.reason = reason
        return line


@dataclass(frozen=True)
class Good:
    line: int
    event: ev.Envelope


@dataclass(frozen=True)
class Bad:
    line: int
    reason: str


@cache
def _one() -> TypeAdapter[ev.Envelope]:
    return TypeAdapter(ev.Event)


@cache
def _many() -> TypeAdapter[list[ev.Event]]:
    return TypeAdapter(list[ev.Event])


def validate(numbered: list[tuple[int, bytes]], tenant_id: str) -> list[Good | Bad]:
    """Each (line number, line) as a Good event of the import's tenant or a Bad line with its reason.

    The fast path validates the whole batch as one JSON array (one call into pydantic's core); when some line
    is wrong, the batch is validated line by line, which names each wrong line and its reason.
    """
    candidates = [(n, raw) for n, raw in numbered if raw.strip()]
    results: list[Good | Bad] = []
    events: list[ev.Event] | None = None
    if candidates and all(len(raw) <= MAX_LINE_BYTES and not isinstance(raw, Refused) for _, raw in candidates):
        try:
            events = _many().validate_json(b"[" + b",".join(raw for _, raw in candidates) + b"]")
        except ValidationError:
            events = None
    if events is None:
        return [_check_one(n, raw, tenant_id) for n, raw in candidates]
    tenant = UUID(tenant_id)
    for (n, _), event in zip(candidates, events, strict=True):
        results.append(Good(n, event) if event.tenant_id == tenant else Bad(n, _FOREIGN_TENANT))
    return results


_FOREIGN_TENANT = "tenant_id: not the tenant of the import (its prefix imports/<tenant_id>/ names the tenant)"


def _check_one(line: int, raw: bytes, tenant_id: str) -> Good | Bad:
    if isinstance(raw, Refused):
        return Bad(line, raw.reason)
    if len(raw) > MAX_LINE_BYTES:
        return Bad(line, f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        event = _one().validate_json(raw)
    except ValidationError as exc:
        return Bad(line, _reason(raw, exc))
    return Good(line, event) if str(event.tenant_id) == tenant_id else Bad(line, _FOREIGN_TENANT)


def _reason(raw: bytes, exc: ValidationError) -> str:
    """pydantic's field-by-field reasons, without values; a line that is not a JSON object says so."""
    try:
        value = json.loads(raw)
    except ValueError:
        return "not a JSON line"
    if not isinstance(value, dict):
        return "not a JSON object"
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]:
        loc = list(error["loc"])
        # The union's tag ("conversation.v1") comes first in the location of a tagged event's errors.
        if loc and isinstance(loc[0], str) and "." in loc[0] and error["type"] != "union_tag_invalid":
            loc = loc[1:]
        parts.append(f"{'.'.join(str(part) for part in loc) or 'event'}: {error['msg']}")
    if exc.error_count() > MAX_ERRORS:
        parts.append(f"and {exc.error_count() - MAX_ERRORS} more")
    return "; ".join(parts)
