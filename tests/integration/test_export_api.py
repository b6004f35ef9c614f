"""Export Analytics (v1) through the exports function: create, list, download, roles, tenants, audit, window."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.builders import at
from tests.support.exports import audit_rows, export_body

# The fixtures aws, exports and frozen_clock: tests/integration/conftest.py.

SPEC_EXAMPLES = Path(__file__).resolve().parents[1] / "contract" / "spec_examples"


def spec_example(name: str) -> dict:
    return json.loads((SPEC_EXAMPLES / name).read_text())


# -- creation --


def test_create_answers_at_once_with_the_spec_body_and_queues_one_message(exports, frozen_clock):
    # When an admin asks for the spec's example export
    response = exports.create(
        {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08", "scope": "voice",
         "include_call_details": True, "include_transcripts": False}
    )  # fmt: skip
    # Then the answer has exactly the spec's fields, in the spec's forms
    assert response.status == 200, response.body
    body = response.body
    assert set(body) == set(spec_example("post_v1_analytics_export.json"))
    export_id = body["export_id"]
    assert str(uuid.UUID(export_id)) == export_id
    assert body["download_url"] == (
        f"/api/v1/analytics/export/{export_id}/download?format=csv&start_date=2026-03-01&end_date=2026-03-08"
    )
    assert body["expires_at"] == "2026-03-10T12:00:00Z"  # created 2026-03-09T12:00:00Z + 24 h
    # And exactly one message names the export and its tenant, nothing else
    messages = exports.aws.receive()
    assert [json.loads(message["Body"]) for message in messages] == [
        {"export_id": export_id, "tenant_id": str(exports.tenant)}
    ]


def test_a_new_export_is_listed_as_queued_in_the_spec_shape_plus_its_status(exports, frozen_clock):
    created = exports.create_ok(scope="conversations", format="json", tz="Europe/Paris")
    listing = exports.listing()
    assert listing.status == 200
    (item,) = listing.body["exports"]
    spec_item = spec_example("get_v1_analytics_exports.json")["exports"][0]
    added = {"status", "row_count", "size_bytes", "error", "failure_reason", "rows_written", "progress_at",
             "percent", "estimated_finish_at"}  # fmt: skip
    assert set(item) == set(spec_item) | added
    assert item == {
        "export_id": created["export_id"],
        "format": "json",
        "scope": "conversations",
        "start_date": "2026-03-01",
        "end_date": "2026-03-08",
        "include_call_details": True,
        "include_transcripts": False,
        "include_conversations": False,
        "download_url": created["download_url"].replace("format=csv", "format=json"),
        "created_at": "2026-03-09T12:00:00Z",
        "expires_at": "2026-03-10T12:00:00Z",
        "status": "queued",
        "row_count": None,
        "size_bytes": None,
        "error": None,
        "failure_reason": None,
        "rows_written": None,
        "progress_at": None,
        "percent": None,
        "estimated_finish_at": None,
    }


def test_the_listing_holds_the_last_24_hours_newest_first(exports, frozen_clock):
    old = exports.create_ok()
    frozen_clock.advance(hours=2)
    middle = exports.create_ok(format="xlsx")
    frozen_clock.advance(hours=1)
    newest = exports.create_ok(format="pdf")
    # 22 h 30 min after the first: all three are within 24 hours
    frozen_clock.advance(hours=19, minutes=30)
    assert [item["export_id"] for item in exports.listing().body["exports"]] == [
        newest["export_id"], middle["export_id"], old["export_id"],
    ]  # fmt: skip
    # 2 h later the first is 24 h 30 min old (the others 22 h 30 min and 21 h 30 min): it left the list
    frozen_clock.advance(hours=2)
    assert [item["export_id"] for item in exports.listing().body["exports"]] == [
        newest["export_id"], middle["export_id"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        (export_body(format="docx"), ["body", "format"], "literal_error"),
        (export_body(scope="everything"), ["body", "scope"], "literal_error"),
        (export_body(start_date="2026-3-1"), ["body", "start_date"], "date_parsing"),
        (export_body(start_date="2026-03-01T00:00:00"), ["body", "start_date"], "date_parsing"),
        (export_body(end_date="2026-02-30"), ["body", "end_date"], "date_parsing"),
        (export_body(end_date=20260308), ["body", "end_date"], "date_parsing"),
        (export_body(start_date="2026-03-09", end_date="2026-03-08"), ["body", "end_date"], "date_range"),
        (export_body(start_date="2025-03-01", end_date="2026-03-02"), ["body", "end_date"], "date_range"),  # 367 days
        (export_body(tz="Mars/Olympus_Mons"), ["body", "tz"], "time_zone"),
        (export_body(include_transcripts="true"), ["body", "include_transcripts"], "bool_type"),
        (export_body(include_call_details=1), ["body", "include_call_details"], "bool_type"),
        (export_body(fromat="csv"), ["body", "fromat"], "extra_forbidden"),
        ({"format": "csv", "start_date": "2026-03-01"}, ["body", "end_date"], "missing"),
    ],
)
def test_a_bad_body_is_a_422_in_fastapis_shape_and_creates_nothing(exports, body, loc, type_):
    response = exports.create(body)
    assert response.status == 422, response.body
    assert {"loc": loc, "type": type_} in [{"loc": e["loc"], "type": e["type"]} for e in response.body["detail"]]
    assert all(isinstance(error["msg"], str) and error["msg"] for error in response.body["detail"])
    assert exports.aws.receive() == []


def test_a_range_of_exactly_366_days_is_accepted(exports):
    assert exports.create(export_body(start_date="2024-01-01", end_date="2024-12-31")).status == 200


@pytest.mark.parametrize(
    ("period", "loc"),
    [
        ({"start_date": "9999-12-30", "end_date": "9999-12-31"}, ["body", "start_date"]),
        ({"start_date": "0001-01-01", "end_date": "0001-01-02", "tz": "Asia/Tokyo"}, ["body", "start_date"]),
        ({"start_date": "1969-12-31", "end_date": "1970-01-01"}, ["body", "start_date"]),
        ({"start_date": "9998-12-31", "end_date": "9999-01-01"}, ["body", "end_date"]),
    ],
    ids=["year-9999", "year-1-in-tokyo", "before-1970", "past-9998"],
)
def test_a_period_outside_1970_to_9998_is_refused_at_creation_not_failed_three_times_by_the_worker(
    exports, period, loc
):
    # Given a period whose local midnights Python cannot place in UTC (the worker failed on it three times)
    response = exports.create(export_body(**period))
    # Then a 422 on the date, saying which years are served, and nothing is queued
    assert response.status == 422, response.body
    assert response.body["detail"][0]["loc"] == loc
    assert all("1970-01-01" in error["msg"] for error in response.body["detail"])
    assert exports.aws.receive() == []


@pytest.mark.parametrize(
    "period",
    [
        {"start_date": "1970-01-01", "end_date": "1970-01-02", "tz": "Asia/Tokyo"},
        {"start_date": "9998-12-30", "end_date": "9998-12-31", "tz": "Pacific/Pago_Pago"},
    ],
    ids=["first-days-east-of-utc", "last-days-west-of-utc"],
)
def test_the_first_and_last_days_served_are_produced_by_the_worker(exports, period):
    # Given an export of the first (or last) days served, in a zone that moves them across a year in UTC
    item, data = exports.produce(**period)
    # Then the worker produced it, for exactly that period
    assert (item["start_date"], item["end_date"]) == (period["start_date"], period["end_date"])
    assert data


def test_a_body_that_is_not_json_is_a_422(exports):
    response = exports.create("{not json")
    assert response.status == 422
    assert isinstance(response.body["detail"], list)


# -- idempotency --


def test_a_repeated_idempotency_key_returns_the_same_export_and_queues_it_once(exports, owner_conn):
    first = exports.create(export_body(), headers={"Idempotency-Key": "monday-report-42"})
    again = exports.create(export_body(), headers={"idempotency-key": "monday-report-42"})
    assert first.status == again.status == 200
    assert again.body == first.body
    assert len(exports.aws.receive()) == 1
    assert owner_conn.run("SELECT count(*) FROM exports WHERE tenant_id = :t", t=exports.tenant) == [[1]]
    assert [row["outcome"] for row in audit_rows(owner_conn, exports.tenant)] == ["queued", "replayed"]


def test_the_same_idempotency_key_of_another_user_is_another_export(exports):
    first = exports.create(export_body(), headers={"Idempotency-Key": "k1"})
    exports.user = str(uuid.uuid4())
    other = exports.create(export_body(), headers={"Idempotency-Key": "k1"})
    assert other.status == 200
    assert other.body["export_id"] != first.body["export_id"]


def test_an_idempotency_key_reused_for_a_different_request_is_a_422(exports):
    exports.create(export_body(), headers={"Idempotency-Key": "k1"})
    response = exports.create(export_body(format="pdf"), headers={"Idempotency-Key": "k1"})
    assert response.status == 422
    assert response.body["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert response.body["detail"][0]["type"] == "idempotency_key_reused"


# -- roles and tenants --


@pytest.mark.parametrize("role", ["super_admin", "tenant_admin"])
def test_admin_roles_create_list_and_download(exports, role):
    created = exports.create(role=role)
    assert created.status == 200
    assert exports.listing(role=role).status == 200
    assert exports.download(created.body["export_id"], role=role).status == 202


@pytest.mark.parametrize("role", ["tenant_owner", "agent", "supervisor", "tenant_user", "tenant_readonly"])
def test_every_other_role_gets_403_on_every_export_route(exports, role):
    created = exports.create_ok()
    responses = [
        exports.create(role=role),
        exports.listing(role=role),
        exports.download(created["export_id"], role=role),
        exports.request("GET", "/api/v1/analytics/export-schedules", role=role),
    ]
    assert [response.status for response in responses] == [403, 403, 403, 403]
    assert all(set(response.body) == {"detail"} for response in responses)


@pytest.mark.parametrize("role", ["tenant_owner", "agent"])
def test_a_role_that_may_not_export_gets_403_even_for_an_invalid_body(exports, role):
    # The role is refused before the body is looked at: no hint about the body's rules
    assert exports.create({"format": "docx"}, role=role).status == 403
    assert exports.request("POST", "/api/v1/analytics/export-schedules", body={}, role=role).status == 403
    assert exports.create({"format": "docx"}).status == 422  # an admin is told what is wrong


def test_a_tenant_below_professional_gets_403(exports, build):
    starter = build.tenant(plan="starter")
    assert exports.create(tenant=starter).status == 403


def test_another_tenants_export_is_404_and_invisible(exports, build):
    created = exports.create_ok()
    globex = build.tenant("globex-" + uuid.uuid4().hex[:6])
    assert exports.download(created["export_id"], tenant=globex).status == 404
    assert exports.download(created["export_id"], tenant=globex).body == {"detail": "Export not found"}
    assert exports.listing(tenant=globex).body == {"exports": []}


# A fixed unknown id: pytest-xdist workers must collect the same test ids (a uuid4() here differed per worker).
@pytest.mark.parametrize("export_id", ["5b0e8f4c-6a3d-4e2b-9c71-2f8d0a6e4b13", "not-a-uuid", "1"])
def test_an_unknown_or_malformed_export_id_is_404(exports, export_id):
    response = exports.download(export_id)
    assert response.status == 404
    assert response.body == {"detail": "Export not found"}


# -- download --


def test_download_answers_202_with_retry_after_until_the_file_is_ready_then_302(exports, frozen_clock):
    created = exports.create_ok()
    pending = exports.download(created["export_id"])
    assert pending.status == 202
    assert pending.body == {"detail": "The export is queued; retry shortly", "status": "queued"}
    assert pending.header("Retry-After") == "5"
    exports.run_worker()
    ready = exports.download(created["export_id"])
    assert ready.status == 302
    location = urlsplit(ready.header("Location"))
    assert location.path.endswith(f"/exports/{exports.tenant}/{created['export_id']}.csv")
    assert "X-Amz-Signature" in parse_qs(location.query)
    assert ready.header("Cache-Control") == "no-store"


def test_a_running_export_answers_202_running(exports, owner_conn):
    created = exports.create_ok()
    owner_conn.run("UPDATE exports SET status = 'running' WHERE id = :id", id=created["export_id"])
    response = exports.download(created["export_id"])
    assert (response.status, response.body["status"]) == (202, "running")


def test_a_failed_export_answers_409_with_its_reason_and_its_typed_reason(exports, owner_conn):
    created = exports.create_ok()
    owner_conn.run(
        "UPDATE exports SET status = 'failed', error = 'Failed after 3 attempts: The database was unavailable', "
        "failure_reason = 'database' WHERE id = :id",
        id=created["export_id"],
    )
    response = exports.download(created["export_id"])
    assert response.status == 409
    assert response.body == {
        "detail": "The export failed: Failed after 3 attempts: The database was unavailable",
        "failure_reason": "database",
    }


def presigned_lifetime(response) -> int:
    return int(parse_qs(urlsplit(response.header("Location")).query)["X-Amz-Expires"][0])


def test_the_presigned_url_lives_15_minutes_at_most_and_never_past_expires_at(exports, frozen_clock):
    created = exports.create_ok()  # at 2026-03-09 12:00, expires 2026-03-10 12:00
    exports.run_worker()
    assert presigned_lifetime(exports.download(created["export_id"])) == 900
    frozen_clock.advance(hours=23, minutes=50)  # 10 minutes left
    assert presigned_lifetime(exports.download(created["export_id"])) == 600
    frozen_clock.advance(minutes=9, seconds=58)  # 2 seconds left
    assert presigned_lifetime(exports.download(created["export_id"])) == 2


def test_after_24_hours_the_download_is_410_even_for_a_finished_export(exports, frozen_clock):
    created = exports.create_ok()
    exports.run_worker()
    frozen_clock.advance(hours=24)
    response = exports.download(created["export_id"])
    assert response.status == 410
    assert response.body == {"detail": "This export has expired: exports can be downloaded for 24 hours"}


def test_the_redirect_names_the_tenants_object_with_its_type_and_file_name(exports):
    created = exports.create_ok()
    exports.run_worker()
    response = exports.download(created["export_id"])
    location = urlsplit(response.header("Location"))
    # Virtual-hosted (https://<bucket>.s3...amazonaws.com/<key>) in AWS; path-style on a local endpoint.
    key = location.path.removeprefix(f"/{exports.aws.bucket}").lstrip("/")
    head = exports.aws.s3.head_object(Bucket=exports.aws.bucket, Key=key)
    assert head["ContentType"] == "text/csv; charset=utf-8"
    assert head["ContentDisposition"] == 'attachment; filename="aurion-voice-2026-03-01-to-2026-03-08.csv"'
    assert key == f"exports/{exports.tenant}/{created['export_id']}.csv"


# -- audit --


def test_every_creation_and_every_download_attempt_writes_an_audit_row(exports, owner_conn, frozen_clock):
    created = exports.create_ok()
    exports.download(created["export_id"])  # 202
    exports.run_worker()
    exports.download(created["export_id"])  # 302
    frozen_clock.advance(hours=25)
    exports.download(created["export_id"])  # 410
    rows = audit_rows(owner_conn, exports.tenant)
    target = f"export:{created['export_id']}"
    assert [(row["action"], row["outcome"], row["target_redacted"]) for row in rows] == [
        ("export.create", "queued", target),
        ("export.download", "not_ready", target),
        ("export.download", "redirected", target),
        ("export.download", "expired", target),
    ]
    assert {row["actor_user_id"] for row in rows} == {exports.user}
    assert all(row["request_id"] for row in rows)


def test_creation_is_refused_with_503_when_exports_are_not_configured(exports, monkeypatch):
    from aurion.settings import get_settings

    monkeypatch.delenv("EXPORTS_QUEUE_URL")
    get_settings.cache_clear()
    response = exports.create()
    assert response.status == 503
    assert set(response.body) == {"detail"}


def test_creation_fails_cleanly_when_the_queue_refuses_the_message(exports, owner_conn, monkeypatch):
    # Given SQS refusing messages
    def refuse(*_args, **_kwargs):
        raise RuntimeError("SQS down")

    from aurion.exports.aws import client

    monkeypatch.setattr(client("sqs"), "send_message", refuse)
    response = exports.create()
    # Then the client is told to retry and nothing half-created remains
    assert response.status == 503
    assert owner_conn.run("SELECT count(*) FROM exports WHERE tenant_id = :t", t=exports.tenant) == [[0]]
    assert audit_rows(owner_conn, exports.tenant) == []


def test_calls_of_the_period_are_in_the_downloaded_file(exports, build):
    build.call(exports.tenant, at("2026-03-02 09:15"), outcome="ticket_created")
    _item, data = exports.produce()
    lines = data.decode().splitlines()
    assert len(lines) == 2
    assert ",ticket_created," in lines[1]


def test_one_export_answers_as_its_listing_item_and_another_tenants_is_a_404(exports, build):
    # Given an export of acme's
    created = exports.create_ok()
    # When an admin reads it by id, it is the listing's item
    response = exports.request("GET", f"/api/v1/analytics/exports/{created['export_id']}")
    assert response.status == 200
    assert response.body == exports.item(created["export_id"])
    # And for another tenant's admin, for an unknown id and for an id that is not a UUID, it does not exist
    globex = build.tenant("globex-" + uuid.uuid4().hex[:6])
    other = exports.request("GET", f"/api/v1/analytics/exports/{created['export_id']}", tenant=globex)
    unknown = exports.request("GET", "/api/v1/analytics/exports/0b1c5d0e-0000-4000-8000-000000000001")
    not_uuid = exports.request("GET", "/api/v1/analytics/exports/nope")
    assert [other.status, unknown.status, not_uuid.status] == [404, 404, 404]


def test_one_export_is_for_admins_only(exports):
    created = exports.create_ok()
    response = exports.request("GET", f"/api/v1/analytics/exports/{created['export_id']}", role="tenant_owner")
    assert response.status == 403
