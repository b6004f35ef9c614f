"""The export the worker produces: its period in its time zone, its deadline, and what its datasets share.

The export's period is [start_date 00:00, end_date + 1 day 00:00) in the export's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aurion import clock
from aurion.db import Transaction
from aurion.exports.options import ExportOptions
from aurion.exports.progress import Progress
from aurion.params import DateRange

TIMEOUT_DETAIL = "The export did not finish in time; try a shorter period or the csv format"


class ExportTimeout(Exception):
    """The worker is about to run out of time: stop cleanly rather than be killed mid-upload."""


class Deadline:
    def __init__(self, remaining_ms: Callable[[], int] | None = None, margin_seconds: int = 0) -> None:
        self._remaining_ms = remaining_ms
        self._margin_ms = margin_seconds * 1000

    def check(self) -> None:
        if self._remaining_ms is not None and self._remaining_ms() < self._margin_ms:
            raise ExportTimeout(TIMEOUT_DETAIL)

    def remaining_ms(self) -> int | None:
        """Milliseconds left before the margin (at least 1), None when unlimited: one long statement's budget."""
        return None if self._remaining_ms is None else max(1, self._remaining_ms() - self._margin_ms)

    @classmethod
    def unlimited(cls) -> Deadline:
        return cls()


@dataclass(frozen=True)
class ExportJob:
    """What the worker knows about the export it produces."""

    export_id: str
    tenant_id: str
    tenant_name: str
    options: ExportOptions
    start_date: date
    end_date: date
    tz: str
    created_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.start_date, time.min, tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after end_date, local time."""
        return datetime.combine(self.end_date + timedelta(days=1), time.min, tzinfo=self.zone).astimezone(UTC)

    @property
    def window(self) -> DateRange:
        # The metric code takes a closed range; timestamptz has microsecond resolution.
        return DateRange(start=self.start, end=self.end - timedelta(microseconds=1))

    def params(self) -> dict[str, Any]:
        # now: when the SLA outcomes judge "past due" (aurion.facts.sla_outcomes).
        return {"tenant_id": self.tenant_id, "start": self.start, "end": self.end, "tz": self.tz, "now": clock.now()}


@dataclass(frozen=True)
class DatasetContext:
    tx: Transaction
    job: ExportJob
    deadline: Deadline
    fetch_rows: int = 2000
    # Rows written so far, recorded at checkpoints while the file is written (None: not reported).
    progress: Progress | None = None
    # Answers shared by several datasets (the SLA facts feed three), computed once per export.
    cache: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]
