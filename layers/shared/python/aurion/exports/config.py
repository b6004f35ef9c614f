"""Export-only settings, read from the environment once per execution environment (like aurion.settings).

They tune the worker and the download; none is a secret and every one has a safe default.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field

MIB = 1024 * 1024


class ExportConfig(BaseModel):
    # Must equal the queue's RedrivePolicy maxReceiveCount: on that receive a failure is final (the message
    # goes to the DLQ next), so the worker records the export as failed with its reason.
    max_receives: int = Field(default=3, ge=1, le=1000)
    # Delay before a failed message is retried: base x 2^(attempt-1), at most 15 min (SQS visibility change).
    retry_base_seconds: int = Field(default=30, ge=0, le=900)
    # S3 multipart part size: S3 wants at least 5 MiB for every part but the last; memory is ~2 parts.
    part_size_bytes: int = Field(default=8 * MIB, ge=5 * MIB, le=512 * MIB)
    # Rows per FETCH from the server-side cursor: memory stays flat, round trips stay few.
    fetch_rows: int = Field(default=2000, ge=1, le=100_000)
    # Stop cleanly (abort the upload, record the reason) this long before the Lambda timeout would kill us.
    time_margin_seconds: int = Field(default=20, ge=0, le=300)
    # Longest life of a presigned download URL; it never outlives the export's own 24-hour window.
    presign_max_seconds: int = Field(default=900, ge=1, le=3600)
    # Rows of detail tables printed in the PDF report (the full data is what csv/json/xlsx are for).
    pdf_detail_rows: int = Field(default=100, ge=0, le=1000)
    pdf_compress: bool = True
    # Progress checkpoints of a running export (aurion.exports.progress): every so many rows or seconds.
    progress_every_rows: int = Field(default=50_000, ge=1, le=10_000_000)
    progress_every_seconds: float = Field(default=5.0, gt=0, le=300)


_ENV = {
    "EXPORT_MAX_RECEIVES": "max_receives",
    "EXPORT_RETRY_BASE_SECONDS": "retry_base_seconds",
    "EXPORT_PART_SIZE_BYTES": "part_size_bytes",
    "EXPORT_FETCH_ROWS": "fetch_rows",
    "EXPORT_TIME_MARGIN_SECONDS": "time_margin_seconds",
    "EXPORT_PRESIGN_MAX_SECONDS": "presign_max_seconds",
    "EXPORT_PDF_DETAIL_ROWS": "pdf_detail_rows",
    "EXPORT_PDF_COMPRESS": "pdf_compress",
    "EXPORT_PROGRESS_EVERY_ROWS": "progress_every_rows",
    "EXPORT_PROGRESS_EVERY_SECONDS": "progress_every_seconds",
}


def load_export_config(env: dict[str, str] | None = None) -> ExportConfig:
    env = dict(os.environ if env is None else env)
    return ExportConfig.model_validate({field: env[name] for name, field in _ENV.items() if env.get(name)})


@lru_cache(maxsize=1)
def get_export_config() -> ExportConfig:
    return load_export_config()
