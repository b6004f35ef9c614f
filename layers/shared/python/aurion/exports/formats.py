"""What an export file holds: the datasets of each scope, the file type of each format, the S3 key.

Decided from the request alone (never from the data), so the key and the file name are known when the
export is created and a redelivered message writes the very same object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

EXPORT_PREFIX: Final = "exports"

SCOPE_LABELS: Final = {
    "voice": "Voice calls",
    "conversations": "Conversations",
    "all": "Voice calls and conversations",
    "sla_quality": "SLA and quality",
    "resolution_rates": "Resolution rates",
    "performance": "Agent and team performance",
}

CONTENT_TYPES: Final = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ExportOptions:
    format: str
    scope: str
    include_call_details: bool
    include_transcripts: bool
    include_conversations: bool


def dataset_names(options: ExportOptions) -> tuple[str, ...]:
    """The datasets of an export, in file order (docs/exports.md, "Scopes")."""
    voice = "calls" if options.include_call_details else "voice_daily"
    by_scope: dict[str, tuple[str, ...]] = {
        "voice": (voice,),
        "conversations": ("conversations",),
        "all": (voice, "conversations"),
        "sla_quality": ("sla_summary", "sla_by_priority", "sla_by_team", "sla_daily", "csat_daily"),
        "resolution_rates": ("resolution_by_priority", "resolution_daily", "call_outcomes"),
        "performance": ("agent_performance", "team_performance"),
    }
    names = by_scope[options.scope]
    if options.include_conversations and "conversations" not in names:
        names = (*names, "conversations")
    return names


def file_extension(options: ExportOptions) -> str:
    """csv of one dataset is a CSV file; csv of several is a zip of CSV files; the others are one file."""
    if options.format == "csv" and len(dataset_names(options)) > 1:
        return "zip"
    return options.format


def object_key(tenant_id: str, export_id: str, options: ExportOptions) -> str:
    # Derived from the export id only: a redelivered message overwrites, it never adds a second object.
    return f"{EXPORT_PREFIX}/{tenant_id}/{export_id}.{file_extension(options)}"


def download_filename(options: ExportOptions, start_date: object, end_date: object) -> str:
    return f"aurion-{options.scope.replace('_', '-')}-{start_date}-to-{end_date}.{file_extension(options)}"
