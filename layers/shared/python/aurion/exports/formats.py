"""What an export file is: the file type of each format, its S3 key and file name.

Its datasets are declared in aurion.exports.datasets.

Decided from the request alone (never from the data), so the key and the file name are known when the
export is created and a redelivered message writes the very same object.
"""

from __future__ import annotations

from typing import Final

from aurion.exports.datasets import dataset_names
from aurion.exports.options import ExportOptions

# ExportOptions is re-exported: the request code builds it from here.
__all__ = [
    "CONTENT_TYPES",
    "EXPORT_PREFIX",
    "SCOPE_LABELS",
    "ExportOptions",
    "dataset_names",
    "download_filename",
    "file_extension",
    "object_key",
]

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
