"""The spec's timestamp form, shared by every response that carries a moment (metrics, exports, API keys)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_z(value: datetime | None) -> str | None:
    """The spec's timestamp form: 2026-03-02T09:15:00Z."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
