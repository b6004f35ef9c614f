"""Export schedules: the admin CRUD, and the scheduler turning due schedules into exactly one export per period."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime

import pg8000.native
import pytest

import aurion.exports.scheduler as scheduler_module
from aurion.db import Database, connect_params
from aurion.exports.scheduler import run_scheduler
from tests.support.api import FakeLambdaContext
from tests.support.exports import SCHEDULES_PATH, audit_rows

# The fixtures aws, exports and frozen_clock: tests/integration/conftest.py.

MONDAY_NOON = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_other_schedules(owner_conn):
    """The scheduler serves every tenant: schedules left by other tests would be claimed too."""
    owner_conn.run("DELETE FROM export_schedules")
    yield
    owner_conn.run("DELETE FROM export_schedules")


def schedule_body(**fields):
    body = {"name": "Weekly voice", "cadence": "daily", "time_of_day": "06:00", "format": "csv"}
    body.update(fields)
    return body


def create_schedule(exports, **fields) -> dict:
    response = exports.request("POST", SCHEDULES_PATH, body=schedule_body(**fields))
    assert response.status == 201, response.body
    return dict(response.body)


def exports_of(owner_conn, schedule_id: str) -> list[tuple]:
    return [
        (row[0].isoformat(), row[1].isoformat(), row[2])
        for row in owner_conn.run(
            "SELECT start_date, end_date, status FROM exports WHERE schedule_id = :s ORDER BY start_date",
            s=schedule_id,
        )
    ]


# -- CRUD --


def test_a_created_schedule_says_when_it_runs_next_in_its_time_zone(exports, frozen_clock):
    body = create_schedule(exports, cadence="weekly", weekday="monday", tz="Europe/Paris", scope="sla_quality",
                           format="xlsx")  # fmt: skip
    assert body == {
        "schedule_id": body["schedule_id"],
        "name": "Weekly voice",
        "cadence": "weekly",
        "weekday": "monday",
        "day_of_month": None,
        "time_of_day": "06:00",
        "tz": "Europe/Paris",
        "format": "xlsx",
        "scope": "sla_quality",
        "include_call_details": True,
        "include_transcripts": False,
        "include_conversations": False,
        "enabled": True,
        "destination_ids": [],
        # Monday 2026-03-09 12:00 UTC: the next Monday 06:00 Paris is 05:00 UTC a week later
        "next_run_at": "2026-03-16T05:00:00Z",
        "last_run_at": None,
        "created_at": "2026-03-09T12:00:00Z",
        "updated_at": "2026-03-09T12:00:00Z",
    }


def test_schedules_are_listed_read_changed_and_deleted(exports, frozen_clock, owner_conn):
    first = create_schedule(exports, name="Daily")
    frozen_clock.advance(minutes=1)
    second = create_schedule(exports, name="Monthly", cadence="monthly", day_of_month=1)
    listing = exports.request("GET", SCHEDULES_PATH)
    assert [item["name"] for item in listing.body["schedules"]] == ["Monthly", "Daily"]
    path = f"{SCHEDULES_PATH}/{first['schedule_id']}"
    assert exports.request("GET", path).body == first
    # A rename keeps the next run; a new time moves it
    renamed = exports.request("PATCH", path, body={"name": "Daily finance"}).body
    assert (renamed["name"], renamed["next_run_at"]) == ("Daily finance", first["next_run_at"])
    retimed = exports.request("PATCH", path, body={"time_of_day": "13:30"}).body
    assert retimed["next_run_at"] == "2026-03-09T13:30:00Z"
    # A new cadence drops the old day field
    monthly = exports.request("PATCH", f"{SCHEDULES_PATH}/{second['schedule_id']}",
                              body={"cadence": "weekly", "weekday": "friday"}).body  # fmt: skip
    assert (monthly["cadence"], monthly["weekday"], monthly["day_of_month"]) == ("weekly", "friday", None)
    assert exports.request("DELETE", path).status == 204
    assert exports.request("GET", path).status == 404
    actions = [row["action"] for row in audit_rows(owner_conn, exports.tenant)]
    assert actions == ["export_schedule.create", "export_schedule.create", "export_schedule.update",
                       "export_schedule.update", "export_schedule.update", "export_schedule.delete"]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (schedule_body(cadence="weekly"), ["body", "weekday"]),
        (schedule_body(cadence="monthly"), ["body", "day_of_month"]),
        (schedule_body(cadence="monthly", day_of_month=29), ["body", "day_of_month"]),
        (schedule_body(weekday="monday"), ["body", "weekday"]),
        (schedule_body(cadence="weekly", weekday="funday"), ["body", "weekday"]),
        (schedule_body(time_of_day="25:00"), ["body", "time_of_day"]),
        (schedule_body(tz="Europe/Atlantis"), ["body", "tz"]),
        (schedule_body(format="docx"), ["body", "format"]),
        (schedule_body(enabled="yes"), ["body", "enabled"]),
        (schedule_body(every="day"), ["body", "every"]),
        (schedule_body(name=""), ["body", "name"]),
    ],
)
def test_a_bad_schedule_is_a_422(exports, body, loc):
    response = exports.request("POST", SCHEDULES_PATH, body=body)
    assert response.status == 422, response.body
    assert loc in [error["loc"] for error in response.body["detail"]]


def test_a_patch_may_not_null_a_required_field_or_break_the_cadence(exports):
    path = f"{SCHEDULES_PATH}/{create_schedule(exports)['schedule_id']}"
    assert exports.request("PATCH", path, body={"format": None}).status == 422
    assert exports.request("PATCH", path, body={"cadence": "weekly"}).status == 422
    assert exports.request("PATCH", path, body={"unknown": 1}).status == 422


def test_another_tenants_schedule_is_404(exports, build):
    path = f"{SCHEDULES_PATH}/{create_schedule(exports)['schedule_id']}"
    other = build.tenant()
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        assert exports.request(method, path, body=body, tenant=other).status == 404
    assert exports.request("GET", f"{SCHEDULES_PATH}/not-a-uuid").status == 404
    assert exports.request("GET", SCHEDULES_PATH, tenant=other).body == {"schedules": []}


@pytest.mark.parametrize("role", ["tenant_owner", "agent", "supervisor", "tenant_user", "tenant_readonly"])
def test_only_admins_manage_schedules(exports, role):
    path = f"{SCHEDULES_PATH}/{create_schedule(exports)['schedule_id']}"
    statuses = [
        exports.request("POST", SCHEDULES_PATH, body=schedule_body(), role=role).status,
        exports.request("GET", path, role=role).status,
        exports.request("PATCH", path, body={"name": "x"}, role=role).status,
        exports.request("DELETE", path, role=role).status,
    ]
    assert statuses == [403, 403, 403, 403]


# -- the scheduler --


def test_a_due_schedule_queues_one_export_of_the_period_that_just_ended(exports, frozen_clock, owner_conn):
    schedule = create_schedule(exports, tz="Europe/Paris", format="pdf", scope="performance")
    # Due at 2026-03-10 05:00 UTC (06:00 Paris); the scheduler fires at 05:00:40
    frozen_clock.now = datetime(2026, 3, 10, 5, 0, 40, tzinfo=UTC)
    result = run_scheduler()
    assert result == {"claimed": 1, "created": 1, "failed": 0}
    assert exports_of(owner_conn, schedule["schedule_id"]) == [("2026-03-09", "2026-03-09", "queued")]
    # Queued for the worker, owned by the schedule's creator, listed for the tenant's admins
    (message,) = exports.aws.receive()
    item = exports.listing().body["exports"][0]
    assert json.loads(message["Body"]) == {"export_id": item["export_id"], "tenant_id": str(exports.tenant)}
    assert (item["format"], item["scope"], item["start_date"], item["end_date"]) == (
        "pdf", "performance", "2026-03-09", "2026-03-09",
    )  # fmt: skip
    after = exports.request("GET", f"{SCHEDULES_PATH}/{schedule['schedule_id']}").body
    assert (after["next_run_at"], after["last_run_at"]) == ("2026-03-11T05:00:00Z", "2026-03-10T05:00:40Z")
    audit = audit_rows(owner_conn, exports.tenant)[-1]
    assert (audit["action"], audit["outcome"], audit["actor_user_id"]) == (
        "export.create", "queued_by_schedule", exports.user,
    )  # fmt: skip
    # And the worker produces it like any other export
    exports.run_worker([message])
    assert exports_of(owner_conn, schedule["schedule_id"])[0][2] == "succeeded"


def test_a_retried_run_creates_nothing_more(exports, frozen_clock, owner_conn):
    schedule = create_schedule(exports)
    frozen_clock.now = datetime(2026, 3, 10, 6, 0, 5, tzinfo=UTC)
    run_scheduler()
    assert run_scheduler() == {"claimed": 0, "created": 0, "failed": 0}
    # Even if next_run_at were rolled back (a lost update), the unique (schedule, period) keeps one export
    owner_conn.run("UPDATE export_schedules SET next_run_at = '2026-03-10 06:00+00' WHERE id = :s",
                   s=schedule["schedule_id"])  # fmt: skip
    assert run_scheduler() == {"claimed": 1, "created": 0, "failed": 0}
    assert exports_of(owner_conn, schedule["schedule_id"]) == [("2026-03-09", "2026-03-09", "queued")]
    assert len(exports.aws.receive()) == 1


def test_missed_runs_are_caught_up_one_period_each(exports, frozen_clock, owner_conn):
    schedule = create_schedule(exports)  # next run 2026-03-10 06:00 UTC
    frozen_clock.now = datetime(2026, 3, 12, 6, 30, tzinfo=UTC)  # the scheduler was down for two days
    assert run_scheduler()["created"] == 3
    assert [period[:2] for period in exports_of(owner_conn, schedule["schedule_id"])] == [
        ("2026-03-09", "2026-03-09"), ("2026-03-10", "2026-03-10"), ("2026-03-11", "2026-03-11"),
    ]  # fmt: skip
    after = exports.request("GET", f"{SCHEDULES_PATH}/{schedule['schedule_id']}").body
    assert after["next_run_at"] == "2026-03-13T06:00:00Z"


def test_disabled_schedules_and_tenants_without_analytics_get_no_export(exports, frozen_clock, owner_conn, build):
    disabled = create_schedule(exports, enabled=False)
    downgraded = create_schedule(exports)
    owner_conn.run("UPDATE tenants SET plan = 'starter' WHERE id = :t", t=exports.tenant)
    frozen_clock.now = datetime(2026, 3, 10, 6, 1, tzinfo=UTC)
    assert run_scheduler() == {"claimed": 1, "created": 0, "failed": 0}
    assert exports_of(owner_conn, disabled["schedule_id"]) == exports_of(owner_conn, downgraded["schedule_id"]) == []
    # The downgraded tenant's schedule still moves on (it is not retried every minute)
    next_run = owner_conn.run("SELECT next_run_at FROM export_schedules WHERE id = :s", s=downgraded["schedule_id"])
    assert next_run[0][0] == datetime(2026, 3, 11, 6, 0, tzinfo=UTC)


def test_a_failing_schedule_does_not_block_the_others_and_is_retried(exports, frozen_clock, owner_conn, monkeypatch):
    broken = create_schedule(exports, name="A")
    frozen_clock.advance(seconds=1)
    fine = create_schedule(exports, name="B", time_of_day="06:01")
    original = scheduler_module.enqueue_export
    failing = {"on": True}

    def enqueue(export_id: str, tenant_id: str) -> None:
        # The longest overdue schedule (A, due 06:00) is claimed first: its queueing fails once
        if failing["on"]:
            failing["on"] = False
            raise RuntimeError("SQS down for a moment")
        original(export_id, tenant_id)

    monkeypatch.setattr(scheduler_module, "enqueue_export", enqueue)
    frozen_clock.now = datetime(2026, 3, 10, 6, 5, tzinfo=UTC)
    assert run_scheduler() == {"claimed": 2, "created": 1, "failed": 1}
    assert exports_of(owner_conn, broken["schedule_id"]) == []  # rolled back, still due
    assert len(exports_of(owner_conn, fine["schedule_id"])) == 1
    assert run_scheduler() == {"claimed": 1, "created": 1, "failed": 0}
    assert exports_of(owner_conn, broken["schedule_id"]) == [("2026-03-09", "2026-03-09", "queued")]


def test_two_scheduler_runs_at_once_create_one_export_per_schedule_and_period(
    exports, frozen_clock, owner_conn, database, build, monkeypatch
):
    # Given five tenants with a due schedule each
    schedules = []
    for _ in range(5):
        exports.tenant = build.tenant()
        schedules.append(create_schedule(exports)["schedule_id"])
    due = datetime(2026, 3, 10, 6, 0, 30, tzinfo=UTC)
    # Slow every queueing down so the two runs overlap for real
    original = scheduler_module.enqueue_export

    def slow(export_id: str, tenant_id: str) -> None:
        time.sleep(0.05)
        original(export_id, tenant_id)

    monkeypatch.setattr(scheduler_module, "enqueue_export", slow)
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def run() -> None:
        db = Database(database.app_url, statement_timeout_ms=5000, connect_timeout_s=5)
        try:
            barrier.wait()
            results.append(run_scheduler(now=due, database=db))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # When both ran at the same moment
    assert errors == []
    # Then every schedule was claimed once in all, and has exactly one export with one message
    assert sum(result["claimed"] for result in results) == 5
    assert sum(result["created"] for result in results) == 5
    counts = owner_conn.run(
        "SELECT schedule_id::text, count(*) FROM exports WHERE schedule_id = ANY(CAST(:s AS uuid[])) GROUP BY 1",
        s=schedules,
    )
    assert sorted(counts) == sorted([[schedule, 1] for schedule in schedules])
    assert len(exports.aws.receive()) == 5


def test_the_scheduler_function_runs_on_an_eventbridge_event(functions, exports, frozen_clock):
    create_schedule(exports)
    frozen_clock.now = datetime(2026, 3, 10, 6, 0, 5, tzinfo=UTC)
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
             "time": "2026-03-10T06:00:00Z", "detail": {}}  # fmt: skip
    result = functions("export_scheduler").lambda_handler(event, FakeLambdaContext())
    assert result == {"claimed": 1, "created": 1, "failed": 0}


def test_the_claim_function_is_the_only_cross_tenant_door_and_shows_ids_only(exports, frozen_clock, database):
    create_schedule(exports)
    conn = pg8000.native.Connection(**connect_params(database.app_url))
    try:
        # Without a tenant the app role sees no schedule at all
        assert conn.run("SELECT count(*) FROM export_schedules") == [[0]]
        conn.run("BEGIN")
        claimed = conn.run("SELECT * FROM aurion_claim_due_export_schedule(:t)", t=datetime(2026, 3, 11, tzinfo=UTC))
        assert [len(row) for row in claimed] == [2]  # (schedule_id, tenant_id)
        assert str(claimed[0][1]) == str(exports.tenant)
        # It changes nothing: next_run_at is the app role's to move, as the tenant, under RLS
        with pytest.raises(pg8000.exceptions.DatabaseError):
            conn.run("SELECT * FROM aurion_claim_due_export_schedule(:t, CAST(:s AS uuid[]))",
                     t=datetime(2026, 3, 11, tzinfo=UTC), s=["not-a-uuid"])  # fmt: skip
        conn.run("ROLLBACK")
    finally:
        conn.close()
