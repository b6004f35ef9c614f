"""The datasets of an export, each declared once (aurion.exports.datasets.spec), in file order.

Row-level datasets (calls, conversations: records.py) stream every row of the period. Summary datasets are the
API's own answers over the export's period, or the same facts per local day (voice.py, quality.py,
resolution.py, performance.py), so an export's key figures are the API's by construction. Adding a dataset:
declare it in its family's module and place it in DATASETS.
"""

from __future__ import annotations

from aurion.exports.columns import Column
from aurion.exports.datasets import performance, quality, records, resolution, voice
from aurion.exports.datasets.spec import Dataset, DatasetSpec
from aurion.exports.job import DatasetContext, Deadline, ExportJob, ExportTimeout
from aurion.exports.options import ExportOptions

# File order. An export holds those of its scope, and the conversations when include_conversations adds them.
DATASETS: tuple[DatasetSpec, ...] = (
    records.CALLS,
    voice.VOICE_DAILY,
    quality.SLA_SUMMARY,
    quality.SLA_BY_PRIORITY,
    quality.SLA_BY_TEAM,
    quality.SLA_DAILY,
    quality.CSAT_DAILY,
    resolution.RESOLUTION_BY_PRIORITY,
    resolution.RESOLUTION_DAILY,
    voice.CALL_OUTCOMES,
    performance.AGENT_PERFORMANCE,
    performance.TEAM_PERFORMANCE,
    records.CONVERSATIONS,
)

__all__ = [
    "DATASETS", "Column", "Dataset", "DatasetContext", "DatasetSpec", "Deadline", "ExportJob", "ExportTimeout",
    "build_datasets", "dataset_names", "datasets_of",
]  # fmt: skip


def datasets_of(options: ExportOptions) -> tuple[DatasetSpec, ...]:
    """The datasets of an export, in file order (docs/exports.md, "Scopes")."""
    return tuple(spec for spec in DATASETS if spec.wanted(options))


def dataset_names(options: ExportOptions) -> tuple[str, ...]:
    return tuple(spec.name for spec in datasets_of(options))


def build_datasets(ctx: DatasetContext) -> list[Dataset]:
    """The export's datasets, in file order; no query runs until a writer iterates a dataset's rows."""
    return [spec.build(ctx) for spec in datasets_of(ctx.job.options)]
