"""Export schedules: when they run, which period each run exports, and their admin-only CRUD.

A schedule runs at `time_of_day` local time (in its `tz`): every day (daily), on one weekday (weekly) or on one
day of the month, 1-28 so that every month has it (monthly). The run on local day D exports the period that
has just ended: daily D-1; weekly the 7 days D-7 .. D-1; monthly the same day of the previous month .. D-1
(a run on the 1st exports the previous calendar month).

Local times that do not exist (the hour skipped when clocks go forward) run at the same wall-clock offset
after the change (02:30 becomes 03:30); a repeated hour runs once, at its first occurrence.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.auth.roles import EXPORT_ROLES
from aurion.errors import InvalidInput, NotFound
from aurion.exports import clock
from aurion.exports.audit import audit, user_uuid
from aurion.exports.delivery_config import get_delivery_config
from aurion.exports.destinations import usable_destination_ids
from aurion.models.exports import (
    WEEKDAYS,
    ExportSchedule,
    ExportScheduleList,
    ScheduleCreate,
    ScheduleUpdate,
)
from aurion.timefmt import iso_z

# Documented answers of the routes that do not answer 200 (the 201's schema comes from the return type).
CREATED_RESPONSES: dict[int, OpenAPIResponse] = {201: {"description": "The new schedule"}}
DELETED_RESPONSES: dict[int, OpenAPIResponse] = {204: {"description": "Deleted (no body)", "content": {}}}


@dataclass(frozen=True)
class Cadence:
    cadence: str  # daily | weekly | monthly
    weekday: int | None  # 0 = Monday (weekly)
    day_of_month: int | None  # 1-28 (monthly)
    time_of_day: time
    tz: str

    def runs_on(self, day: date) -> bool:
        if self.cadence == "weekly":
            return day.weekday() == self.weekday
        if self.cadence == "monthly":
            return day.day == self.day_of_month
        return True

    def occurrence(self, day: date) -> datetime:
        """The run on local day `day`, as a UTC instant."""
        return datetime.combine(day, self.time_of_day, tzinfo=ZoneInfo(self.tz)).astimezone(UTC)

    def next_run_after(self, moment: datetime) -> datetime:
        """The first run strictly after `moment`."""
        day = moment.astimezone(ZoneInfo(self.tz)).date() - timedelta(days=1)
        for _ in range(64):  # a monthly day recurs within 31 days
            if self.runs_on(day) and self.occurrence(day) > moment:
                return self.occurrence(day)
            day += timedelta(days=1)
        raise AssertionError("no run within 64 days")

    def run_day(self, run_at: datetime) -> date:
        return run_at.astimezone(ZoneInfo(self.tz)).date()

    def period_for(self, run_at: datetime) -> tuple[date, date]:
        """The period (first day, last day) the run at `run_at` exports: the one that just ended."""
        day = self.run_day(run_at)
        if self.cadence == "daily":
            first = day - timedelta(days=1)
        elif self.cadence == "weekly":
            first = day - timedelta(days=7)
        else:
            first = (day.replace(day=1) - timedelta(days=1)).replace(day=day.day)
        return first, day - timedelta(days=1)


def cadence_of(row: dict[str, Any]) -> Cadence:
    return Cadence(
        cadence=row["cadence"],
        weekday=row["weekday"],
        day_of_month=row["day_of_month"],
        time_of_day=row["time_of_day"],
        tz=row["tz"],
    )


def _check_cadence(cadence: str, weekday: int | None, day_of_month: int | None) -> None:
    if cadence == "weekly" and weekday is None:
        raise InvalidInput(("body", "weekday"), "weekday is required for a weekly schedule", "missing")
    if cadence != "weekly" and weekday is not None:
        raise InvalidInput(("body", "weekday"), "weekday applies to weekly schedules only", "value_error")
    if cadence == "monthly" and day_of_month is None:
        raise InvalidInput(("body", "day_of_month"), "day_of_month is required for a monthly schedule", "missing")
    if cadence != "monthly" and day_of_month is not None:
        raise InvalidInput(("body", "day_of_month"), "day_of_month applies to monthly schedules only", "value_error")


_COLUMNS = """
id::text AS schedule_id, name, cadence, weekday, day_of_month, time_of_day, tz, format, scope,
include_call_details, include_transcripts, include_conversations, enabled, next_run_at, last_run_at,
created_at, updated_at,
ARRAY(SELECT l.destination_id::text FROM export_schedule_destinations l WHERE l.schedule_id = export_schedules.id
      ORDER BY l.destination_id) AS destination_ids
"""

CLEAR_DESTINATIONS_SQL = """
DELETE FROM export_schedule_destinations
WHERE schedule_id = CAST(:schedule_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""
ADD_DESTINATIONS_SQL = """
INSERT INTO export_schedule_destinations (tenant_id, schedule_id, destination_id)
SELECT CAST(:tenant_id AS uuid), CAST(:schedule_id AS uuid), unnest(CAST(:ids AS uuid[]))
"""

INSERT_SQL = f"""
INSERT INTO export_schedules (id, tenant_id, name, cadence, weekday, day_of_month, time_of_day, tz, format, scope,
                              include_call_details, include_transcripts, include_conversations, enabled,
                              next_run_at, created_by, created_at, updated_at)
VALUES (CAST(:id AS uuid), CAST(:tenant_id AS uuid), :name, :cadence, :weekday, :day_of_month, :time_of_day, :tz,
        :format, :scope, :include_call_details, :include_transcripts, :include_conversations, :enabled,
        :next_run_at, CAST(:created_by AS uuid), :now, :now)
RETURNING {_COLUMNS}
"""

LIST_SQL = f"""
SELECT {_COLUMNS} FROM export_schedules WHERE tenant_id = CAST(:tenant_id AS uuid) ORDER BY created_at DESC, id DESC
"""

BY_ID_SQL = f"""
SELECT {_COLUMNS} FROM export_schedules
WHERE id = CAST(:schedule_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""

UPDATE_SQL = f"""
UPDATE export_schedules
SET name = :name, cadence = :cadence, weekday = :weekday, day_of_month = :day_of_month, time_of_day = :time_of_day,
    tz = :tz, format = :format, scope = :scope, include_call_details = :include_call_details,
    include_transcripts = :include_transcripts, include_conversations = :include_conversations, enabled = :enabled,
    next_run_at = :next_run_at, updated_at = :now
WHERE id = CAST(:schedule_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
RETURNING {_COLUMNS}
"""

DELETE_SQL = """
DELETE FROM export_schedules WHERE id = CAST(:schedule_id AS uuid) AND tenant_id = CAST(:tenant_id AS uuid)
"""


def _model(row: dict[str, Any]) -> ExportSchedule:
    return ExportSchedule(
        schedule_id=row["schedule_id"],
        name=row["name"],
        cadence=row["cadence"],
        weekday=WEEKDAYS[row["weekday"]] if row["weekday"] is not None else None,
        day_of_month=row["day_of_month"],
        time_of_day=row["time_of_day"].strftime("%H:%M"),
        tz=row["tz"],
        format=row["format"],
        scope=row["scope"],
        include_call_details=row["include_call_details"],
        include_transcripts=row["include_transcripts"],
        include_conversations=row["include_conversations"],
        enabled=row["enabled"],
        destination_ids=list(row["destination_ids"] or []),
        next_run_at=iso_z(row["next_run_at"]) or "",
        last_run_at=iso_z(row["last_run_at"]),
        created_at=iso_z(row["created_at"]) or "",
        updated_at=iso_z(row["updated_at"]) or "",
    )


def _schedule_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("Export schedule not found") from None


def _values(fields: dict[str, Any], now: datetime, next_run_at: datetime | None = None) -> dict[str, Any]:
    """Database values of a complete set of schedule fields (API form: weekday name, "HH:MM"), validated.

    next_run_at: keep this next run (an edit that does not touch the timing); None computes it from now.
    """
    weekday = fields["weekday"]
    values = {
        **fields,
        "weekday": WEEKDAYS.index(weekday) if isinstance(weekday, str) else weekday,
        "time_of_day": time.fromisoformat(fields["time_of_day"]) if isinstance(fields["time_of_day"], str)
        else fields["time_of_day"],
    }  # fmt: skip
    _check_cadence(values["cadence"], values["weekday"], values["day_of_month"])
    values["next_run_at"] = next_run_at or cadence_of(values).next_run_after(now)
    return values


def _set_destinations(scope: Any, schedule_id: str, ids: list[Any] | None) -> None:
    """Replace the schedule's destinations by `ids` (each an enabled, verified destination of the tenant)."""
    usable = usable_destination_ids(scope.tx, scope.tenant.id, ids, "destination_ids")
    if usable:
        get_delivery_config().require_queue()
    scope.tx.execute(CLEAR_DESTINATIONS_SQL, schedule_id=schedule_id, tenant_id=scope.tenant.id)
    if usable:
        scope.tx.execute(ADD_DESTINATIONS_SQL, schedule_id=schedule_id, tenant_id=scope.tenant.id, ids=usable)


def _audit(scope: Any, caller: Caller, action: str, schedule_id: str, now: datetime) -> None:
    audit(scope.tx, tenant_id=scope.tenant.id, actor=caller.user_id, action=action, target=f"schedule:{schedule_id}",
          outcome="ok", request_id=caller.request_id, created_at=now)  # fmt: skip


def create_schedule(caller: Caller, body: ScheduleCreate) -> Response[ExportSchedule]:
    now = clock.utcnow()
    values = _values(body.model_dump(exclude={"destination_ids"}), now)
    schedule_id = str(uuid.uuid4())
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        scope.tx.execute(
            INSERT_SQL,
            id=schedule_id,
            tenant_id=scope.tenant.id,
            created_by=user_uuid(caller.user_id),
            now=now,
            **values,
        )
        _set_destinations(scope, schedule_id, body.destination_ids)
        row = scope.tx.one(BY_ID_SQL, schedule_id=schedule_id, tenant_id=scope.tenant.id)
        assert row is not None
        _audit(scope, caller, "export_schedule.create", schedule_id, now)
    return Response(status_code=201, content_type="application/json", body=_model(row))


def list_schedules(caller: Caller) -> ExportScheduleList:
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        rows = scope.tx.all(LIST_SQL, tenant_id=scope.tenant.id)
    return ExportScheduleList(schedules=[_model(row) for row in rows])


def get_schedule(caller: Caller, schedule_id: str) -> ExportSchedule:
    schedule_id = _schedule_id(schedule_id)
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        row = scope.tx.one(BY_ID_SQL, schedule_id=schedule_id, tenant_id=scope.tenant.id)
    if row is None:
        raise NotFound("Export schedule not found")
    return _model(row)


_TIMING = {"cadence", "weekday", "day_of_month", "time_of_day", "tz"}
_NOT_NULL = ("name", "cadence", "time_of_day", "tz", "format", "scope", "include_call_details",
             "include_transcripts", "include_conversations", "enabled")  # fmt: skip


def update_schedule(caller: Caller, schedule_id: str, body: ScheduleUpdate) -> ExportSchedule:
    schedule_id = _schedule_id(schedule_id)
    changes = {name: getattr(body, name) for name in body.model_fields_set if name != "destination_ids"}
    for name in _NOT_NULL:
        if name in changes and changes[name] is None:
            raise InvalidInput(("body", name), f"{name} may not be null", "value_error")
    now = clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        row = scope.tx.one(f"{BY_ID_SQL} FOR UPDATE", schedule_id=schedule_id, tenant_id=scope.tenant.id)
        if row is None:
            raise NotFound("Export schedule not found")
        current = _model(row).model_dump(include=set(ScheduleCreate.model_fields) - {"destination_ids"})
        if "cadence" in changes:
            # A new cadence drops the day field of the old one unless the request sets it.
            changes.setdefault("weekday", None)
            changes.setdefault("day_of_month", None)
        # Only a change of timing (or re-enabling) moves the next run; a rename must not skip a due run.
        retimed = bool(_TIMING & changes.keys()) or (changes.get("enabled") is True and not row["enabled"])
        values = _values({**current, **changes}, now, None if retimed else row["next_run_at"])
        updated = scope.tx.one(UPDATE_SQL, schedule_id=schedule_id, tenant_id=scope.tenant.id, now=now, **values)
        if "destination_ids" in body.model_fields_set:
            _set_destinations(scope, schedule_id, body.destination_ids)
            updated = scope.tx.one(BY_ID_SQL, schedule_id=schedule_id, tenant_id=scope.tenant.id)
        assert updated is not None
        _audit(scope, caller, "export_schedule.update", schedule_id, now)
    return _model(updated)


def delete_schedule(caller: Caller, schedule_id: str) -> Response[Any]:
    schedule_id = _schedule_id(schedule_id)
    now = clock.utcnow()
    with tenant_scope(caller, roles=EXPORT_ROLES) as scope:
        if scope.tx.execute(DELETE_SQL, schedule_id=schedule_id, tenant_id=scope.tenant.id) == 0:
            raise NotFound("Export schedule not found")
        _audit(scope, caller, "export_schedule.delete", schedule_id, now)
    return Response(status_code=204, body="")
