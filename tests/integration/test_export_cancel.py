"""Cancelling a queued or running export, and deleting a finished one before it expires (admin roles only)."""

from __future__ import annotations

import uuid

import aurion.exports.worker as worker_module
from tests.integration.test_export_worker import add_calls

# The fixtures exports, build, owner_conn and frozen_clock: tests/integration/conftest.py.


def path(export_id: str, suffix: str = "") -> str:
    return f"/api/v1/analytics/exports/{export_id}{suffix}"


def audit_rows(owner_conn, tenant, action: str) -> list[tuple[str, str]]:
    rows = owner_conn.run(
        "SELECT target_redacted, outcome FROM audit_log WHERE tenant_id = :t AND action = :action ORDER BY id",
        t=tenant, action=action,
    )  # fmt: skip
    return [tuple(row) for row in rows]


def test_a_queued_export_is_cancelled_at_once_and_its_message_later_does_nothing(exports, owner_conn):
    # Given a queued export
    created = exports.create_ok()
    # When an admin cancels it
    response = exports.request("POST", path(created["export_id"], "/cancel"))
    # Then it is cancelled, with the typed reason, and the audit says so
    assert response.status == 200
    assert (response.body["status"], response.body["failure_reason"]) == ("cancelled", "cancelled")
    assert response.body["error"] == "Cancelled by an admin"
    assert audit_rows(owner_conn, exports.tenant, "export.cancel") == [(f"export:{created['export_id']}", "cancelled")]
    # And the worker that receives its message writes nothing
    assert exports.run_worker()["batchItemFailures"] == []
    assert exports.aws.objects() == []
    assert exports.aws.uploads_in_progress() == []
    assert exports.item(created["export_id"])["status"] == "cancelled"
    # And its download says it was cancelled
    download = exports.download(created["export_id"])
    assert (download.status, download.body) == (
        409, {"detail": "The export was cancelled by an admin", "failure_reason": "cancelled"},
    )  # fmt: skip


def test_a_running_export_stops_at_its_next_checkpoint_leaving_no_object_and_no_upload(
    exports, owner_conn, monkeypatch
):
    # Given 3,000 calls and a checkpoint every 500 rows
    add_calls(owner_conn, exports.tenant, 3000)
    monkeypatch.setenv("EXPORT_PROGRESS_EVERY_ROWS", "500")
    monkeypatch.setenv("EXPORT_FETCH_ROWS", "200")
    from aurion.exports.config import get_export_config

    get_export_config.cache_clear()
    created = exports.create_ok()
    # And an admin's cancel arriving (from another connection, as the API's would) after the 2nd checkpoint
    seen = []
    original = worker_module._CheckpointWriter.record

    def cancel_after_second(self, rows_written):
        seen.append(rows_written)
        if len(seen) == 2:
            owner_conn.run("UPDATE exports SET cancel_requested_at = now() WHERE id = :id", id=created["export_id"])
        original(self, rows_written)

    monkeypatch.setattr(worker_module._CheckpointWriter, "record", cancel_after_second)
    try:
        # When the worker runs
        result = exports.run_worker()
    finally:
        get_export_config.cache_clear()
    # Then it stopped at that checkpoint (its rows recorded, no 3rd one): acknowledged, cancelled, no object and no
    # incomplete multipart upload
    assert result["batchItemFailures"] == []
    assert seen == [500, 1000]
    item = exports.item(created["export_id"])
    assert (item["status"], item["failure_reason"], item["rows_written"]) == ("cancelled", "cancelled", 1000)
    assert exports.aws.objects() == []
    assert exports.aws.uploads_in_progress() == []


def test_cancelling_a_running_export_asks_its_worker_and_a_redelivery_finishes_the_cancel(exports, owner_conn):
    # Given an export whose worker marked it running (and then died)
    created = exports.create_ok()
    owner_conn.run("UPDATE exports SET status = 'running' WHERE id = :id", id=created["export_id"])
    # When an admin cancels it, it is still running: the worker stops at its next checkpoint
    response = exports.request("POST", path(created["export_id"], "/cancel"))
    assert (response.status, response.body["status"]) == (200, "running")
    assert audit_rows(owner_conn, exports.tenant, "export.cancel") == [(f"export:{created['export_id']}", "requested")]
    # And the message redelivered to a new worker cancels it without producing anything
    assert exports.run_worker()["batchItemFailures"] == []
    assert exports.item(created["export_id"])["status"] == "cancelled"
    assert exports.aws.objects() == []


def test_a_finished_export_cannot_be_cancelled(exports, build):
    from tests.support.builders import at

    build.call(exports.tenant, at("2026-03-02 09:15"))
    created = exports.create_ok()
    exports.run_worker()
    response = exports.request("POST", path(created["export_id"], "/cancel"))
    assert response.status == 409
    assert response.body == {"detail": "The export is already succeeded: there is nothing to cancel"}


def test_deleting_a_finished_export_removes_its_file_and_keeps_its_row_as_deleted(exports, build, owner_conn):
    from tests.support.builders import at

    # Given a produced export
    build.call(exports.tenant, at("2026-03-02 09:15"))
    created = exports.create_ok()
    exports.run_worker()
    assert len(exports.aws.objects()) == 1
    # When an admin deletes it
    response = exports.request("DELETE", path(created["export_id"]))
    # Then the file is gone, the export is listed as deleted, its download is 410, and the audit says so
    assert response.status == 204
    assert exports.aws.objects() == []
    assert exports.item(created["export_id"])["status"] == "deleted"
    assert exports.download(created["export_id"]).status == 410
    assert audit_rows(owner_conn, exports.tenant, "export.delete") == [(f"export:{created['export_id']}", "deleted")]
    # And deleting it again changes nothing
    assert exports.request("DELETE", path(created["export_id"])).status == 204


def test_a_queued_export_cannot_be_deleted_and_an_expired_one_is_gone(exports, frozen_clock):
    queued = exports.create_ok()
    response = exports.request("DELETE", path(queued["export_id"]))
    assert (response.status, response.body) == (409, {"detail": "The export is queued: cancel it instead"})
    frozen_clock.advance(hours=24, minutes=1)
    assert exports.request("DELETE", path(queued["export_id"])).status == 410


def test_cancel_and_delete_are_for_admins_of_the_exports_tenant_only(exports, build):
    created = exports.create_ok()
    globex = build.tenant("globex-" + uuid.uuid4().hex[:6])
    for method, suffix in (("POST", "/cancel"), ("DELETE", "")):
        assert exports.request(method, path(created["export_id"], suffix), role="tenant_owner").status == 403
        assert exports.request(method, path(created["export_id"], suffix), tenant=globex).status == 404
        assert exports.request(method, path("nope", suffix)).status == 404
    assert exports.item(created["export_id"])["status"] == "queued"
