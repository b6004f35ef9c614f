"""The one clock of the export code, so tests move time instead of sleeping (monkeypatch `utcnow`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
