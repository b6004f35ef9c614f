"""What an export was asked for: the request model's choices, typed as its Literals."""

from __future__ import annotations

from dataclasses import dataclass

from aurion.models.exports import ExportFormat, ExportScope


@dataclass(frozen=True)
class ExportOptions:
    format: ExportFormat
    scope: ExportScope
    include_call_details: bool
    include_transcripts: bool
    include_conversations: bool
