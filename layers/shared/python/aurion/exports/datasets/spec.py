"""A dataset declared once: its name and title, its columns, where its rows come from, the scopes it is in.

Everything else is derived from the declaration: which datasets an export holds and in which order
(aurion.exports.datasets.DATASETS), how each value is converted (the columns, aurion.exports.pii), when its rows
are read (only once a writer iterates them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aurion.exports.columns import Column
from aurion.exports.job import DatasetContext
from aurion.exports.options import ExportOptions
from aurion.exports.pii import row_converter
from aurion.exports.streaming import CopyRows
from aurion.models.exports import ExportScope


@dataclass
class Dataset:
    """A dataset of one export, as the writers see it: converted rows, read as they are iterated."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[Any]]
    # A row-level dataset: COPY writes its CSV and JSON rows as the file's bytes (rows stays unread then).
    copy: CopyRows | None = None

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def _always(_options: ExportOptions) -> bool:
    return True


def _never(_options: ExportOptions) -> bool:
    return False


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    # Fixed, or chosen by the export's options (the calls' transcript column).
    columns: tuple[Column, ...] | Callable[[ExportOptions], tuple[Column, ...]]
    # Raw values in column order; a generator, so nothing is read before a writer gets there.
    rows: Callable[[DatasetContext], Iterable[Sequence[Any]]]
    scopes: tuple[ExportScope, ...]
    # Inside its scopes, whether the options want it; outside them, whether an option adds it anyway.
    when: Callable[[ExportOptions], bool] = _always
    added_by: Callable[[ExportOptions], bool] = _never
    copy: Callable[[DatasetContext], CopyRows] | None = None

    def columns_for(self, options: ExportOptions) -> tuple[Column, ...]:
        return self.columns(options) if callable(self.columns) else self.columns

    def wanted(self, options: ExportOptions) -> bool:
        return (options.scope in self.scopes and self.when(options)) or self.added_by(options)

    def build(self, ctx: DatasetContext) -> Dataset:
        columns = self.columns_for(ctx.job.options)
        copy = self.copy(ctx) if self.copy is not None else None
        return Dataset(self.name, self.title, columns, self._converted(ctx, columns), copy)

    def _converted(self, ctx: DatasetContext, columns: tuple[Column, ...]) -> Iterator[tuple[Any, ...]]:
        ctx.deadline.check()
        convert = row_converter(columns, ctx.job.zone)
        for row in self.rows(ctx):
            yield convert(row)
