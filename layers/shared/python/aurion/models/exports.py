"""Export Analytics (v1) request and response models, and the export-schedule models the issue adds.

Request bodies forbid unknown fields and take booleans strictly, so a typo or a "true" string is a 422
rather than a silently different export. Responses mirror the spec's examples field for field; the list adds
status, row_count, size_bytes, error, failure_reason, rows_written and progress_at (always present, null while
unknown).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from aurion.date_bounds import OUT_OF_BOUNDS_MSG, date_in_bounds
from aurion.models.base import NO_CONTROL_CHARACTERS, SpecModel
from aurion.models.destinations import DestinationIds

MAX_EXPORT_DAYS = 366

ExportFormat = Literal["csv", "json", "pdf", "xlsx"]
ExportScope = Literal["voice", "conversations", "all", "sla_quality", "resolution_rates", "performance"]
ExportStatus = Literal["queued", "running", "succeeded", "failed", "cancelled", "deleted"]
# Why a failed export failed, for an admin to act on (docs/exports.md); a period without data is no failure.
FailureReason = Literal["too_large", "expired", "storage", "database", "internal", "cancelled"]
Cadence = Literal["daily", "weekly", "monthly"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(:00)?")


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _iso_date(value: Any) -> date:
    # Only the spec's YYYY-MM-DD: pydantic alone would also take timestamps and datetimes at midnight.
    try:
        if not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_parsing", "Input should be a valid date in the format YYYY-MM-DD") from None
    # The worker steps past the period (the local midnight after end_date, in tz): refused here, not 3 times there.
    if not date_in_bounds(day):
        raise PydanticCustomError("date_range", OUT_OF_BOUNDS_MSG)
    return day


def _time_zone(value: Any) -> str:
    if isinstance(value, str) and value in known_time_zones():
        return value
    raise PydanticCustomError("time_zone", "Input should be an IANA time zone name, e.g. Europe/Paris")


def _time_of_day(value: Any) -> str:
    match = _TIME_OF_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError("time_parsing", "Input should be a time of day in the format HH:MM")
    return f"{match.group(1)}:{match.group(2)}"


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
TimeZoneName = Annotated[str, BeforeValidator(_time_zone)]
TimeOfDay = Annotated[str, BeforeValidator(_time_of_day)]
ScheduleName = Annotated[StrictStr, Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS)]
DayOfMonth = Annotated[int, Field(strict=True, ge=1, le=28)]


class ExportRequest(BaseModel):
    """Body of POST /api/v1/analytics/export."""

    model_config = ConfigDict(extra="forbid")

    format: ExportFormat
    start_date: IsoDate = Field(description="First day, YYYY-MM-DD (1970-01-01 to 9998-12-31), in tz")
    end_date: IsoDate = Field(description="Last day (included), YYYY-MM-DD, at most 366 days after start_date")
    scope: ExportScope = "voice"
    include_call_details: StrictBool = True
    include_transcripts: StrictBool = False
    include_conversations: StrictBool = False
    tz: TimeZoneName = "UTC"
    # Not in the spec (issue 17): who hears when the file is ready.
    notify_destination_ids: DestinationIds | None = Field(
        default=None,
        description=(
            "Export destinations (e-mail or webhook, /export-destinations) to notify with the download link when "
            "the export succeeds; each must be enabled and, for e-mail, verified"
        ),
    )

    @field_validator("end_date")
    @classmethod
    def _range(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start_date")
        if start is None:
            return end
        if end < start:
            raise PydanticCustomError("date_range", "end_date must not be before start_date")
        if (end - start).days + 1 > MAX_EXPORT_DAYS:
            raise PydanticCustomError("date_range", f"The range may span at most {MAX_EXPORT_DAYS} days")
        return end


class ExportCreated(SpecModel):
    export_id: str
    download_url: str
    expires_at: str


class ExportItem(SpecModel):
    export_id: str
    format: str
    scope: str
    start_date: str
    end_date: str
    include_call_details: bool
    include_transcripts: bool
    include_conversations: bool
    download_url: str
    created_at: str
    expires_at: str
    # Added by the issue to the spec's shape: where the asynchronous export stands.
    status: ExportStatus
    row_count: int | None
    size_bytes: int | None
    error: str | None
    failure_reason: FailureReason | None = Field(
        description=(
            "Set when status is failed: too_large (shorter period or csv), expired (not started within its 24 "
            "hours), storage, database (retry later), internal; cancelled when status is cancelled"
        )
    )
    rows_written: int | None = Field(
        description="Data rows written so far (at the worker's last checkpoint); null until the worker starts"
    )
    progress_at: str | None = Field(description="When rows_written was recorded (UTC); null until the worker starts")
    percent: int | None = Field(
        description=(
            "0-99 while running, against the rows counted when the worker started (the row-level datasets); 100 "
            "once succeeded; null when the total is not known up front (pdf) or the export is not running"
        )
    )
    estimated_finish_at: str | None = Field(
        description="While running: when the export should finish at its rate so far (UTC); null when unknown"
    )


class ExportList(SpecModel):
    exports: list[ExportItem]


class DownloadFailed(SpecModel):
    """The failed export's 409: the spec's {"detail"} plus the typed reason."""

    detail: str
    failure_reason: FailureReason | None


class DownloadPending(SpecModel):
    detail: str
    status: ExportStatus


class DownloadLink(SpecModel):
    """The ready export's answer to a client that sends Accept: application/json (a dashboard's fetch())."""

    url: str = Field(description="Presigned GET URL of the file; the bucket allows the dashboard origins (CORS)")
    expires_at: str = Field(description="When the URL stops working (UTC), at most 15 minutes from now")


class ScheduleCreate(BaseModel):
    """Body of POST /api/v1/analytics/export-schedules."""

    model_config = ConfigDict(extra="forbid")

    name: ScheduleName
    cadence: Cadence
    weekday: Weekday | None = Field(default=None, description="Weekly schedules only")
    day_of_month: DayOfMonth | None = Field(default=None, description="Monthly schedules only (1-28)")
    time_of_day: TimeOfDay = Field(description="Local time of the run, HH:MM (24 h)")
    tz: TimeZoneName = "UTC"
    format: ExportFormat
    scope: ExportScope = "voice"
    include_call_details: StrictBool = True
    include_transcripts: StrictBool = False
    include_conversations: StrictBool = False
    enabled: StrictBool = True
    destination_ids: DestinationIds = Field(
        default_factory=list, description="Export destinations each run's file is delivered to (e-mail, webhook)"
    )


class ScheduleUpdate(BaseModel):
    """Body of PATCH /api/v1/analytics/export-schedules/{id}: any subset of the schedule's fields."""

    model_config = ConfigDict(extra="forbid")

    name: ScheduleName | None = None
    cadence: Cadence | None = None
    weekday: Weekday | None = None
    day_of_month: DayOfMonth | None = None
    time_of_day: TimeOfDay | None = None
    tz: TimeZoneName | None = None
    format: ExportFormat | None = None
    scope: ExportScope | None = None
    include_call_details: StrictBool | None = None
    include_transcripts: StrictBool | None = None
    include_conversations: StrictBool | None = None
    enabled: StrictBool | None = None
    destination_ids: DestinationIds | None = Field(default=None, description="Replaces the schedule's destinations")


class ExportSchedule(SpecModel):
    schedule_id: str
    name: str
    cadence: Cadence
    weekday: Weekday | None
    day_of_month: int | None
    time_of_day: str
    tz: str
    format: ExportFormat
    scope: ExportScope
    include_call_details: bool
    include_transcripts: bool
    include_conversations: bool
    enabled: bool
    destination_ids: list[str]
    next_run_at: str
    last_run_at: str | None
    created_at: str
    updated_at: str


class ExportScheduleList(SpecModel):
    schedules: list[ExportSchedule]
