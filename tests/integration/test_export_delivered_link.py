"""The link e-mails and webhooks deliver (GET /export/{id}/link?token=...): no session, the token is the
credential; it works for the export's whole 24 hours (a fresh presigned URL each time) and for nothing else."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from aurion.exports.delivery_config import get_delivery_config
from aurion.exports.download_links import download_link
from tests.support.api import invoke, rest_event


def link_of(exports: Any, owner_conn: Any, export_id: str) -> str:
    """The link delivery would send for the export, as stored (its tenant and expires_at)."""
    sql = "SELECT tenant_id::text, expires_at FROM exports WHERE id = :id"
    tenant, expires_at = owner_conn.run(sql, id=export_id)[0]
    get_delivery_config.cache_clear()
    return download_link("https://api.test/v1", get_delivery_config().signing_key(), export_id, tenant, expires_at)


def open_anonymously(exports: Any, link: str) -> Any:
    parts = urlsplit(link)
    return invoke(exports.api, rest_event("GET", f"{parts.path.removeprefix('/v1')}?{parts.query}"))


def with_token(link: str, token: str) -> str:
    return f"{link.split('?token=')[0]}?token={token}"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_the_delivered_link_redirects_without_a_session_to_the_file_near_the_end_of_its_24_hours(
    exports, owner_conn, frozen_clock
):
    # Given a produced export created at 2026-03-09 12:00, and 23 h 55 min later (long past any role session)
    item, content = exports.produce()
    link = link_of(exports, owner_conn, item["export_id"])
    frozen_clock.advance(hours=23, minutes=55)
    # When someone with only the delivered link opens it
    response = open_anonymously(exports, link)
    # Then it answers 302 to a fresh presigned URL of the file, never past the export's end (5 minutes left)
    assert response.status == 302, response.body
    location = urlsplit(response.header("Location"))
    assert location.path.endswith(f"/exports/{exports.tenant}/{item['export_id']}.csv")
    assert parse_qs(location.query)["X-Amz-Expires"] == ["300"]
    assert response.header("Cache-Control") == "no-store"
    # And the download is audited as the link's, like the authenticated route's
    rows = owner_conn.run(
        "SELECT actor_user_id, action, outcome FROM audit_log WHERE target_redacted = :t "
        "AND action = 'export.download'",
        t=f"export:{item['export_id']}",
    )
    assert [tuple(row) for row in rows] == [("download-link", "export.download", "redirected")]
    assert content


def refused(response: Any, status: int) -> None:
    assert response.status == status, response.body
    assert set(response.body) == {"detail"}


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token[:-1] + ("0" if token[-1] != "0" else "1"),
        lambda token: token.upper(),
        lambda token: token[:-8],
        lambda token: "",
        lambda token: token.split(".")[0],
    ],
    ids=["altered", "upper-case", "truncated", "empty", "no-mac"],
)
def test_a_forged_altered_truncated_or_recased_token_is_403(exports, owner_conn, alter):
    # Given the delivered link of a produced export
    item, _ = exports.produce()
    link = link_of(exports, owner_conn, item["export_id"])
    # When its token is changed
    response = open_anonymously(exports, with_token(link, alter(token_of(link))))
    # Then it is refused, with no file
    refused(response, 403)
    assert response.header("Location") is None


def test_a_token_of_another_export_of_the_same_tenant_is_403(exports, owner_conn):
    # Given two produced exports of one tenant
    first, _ = exports.produce(start_date="2026-03-01", end_date="2026-03-02")
    second, _ = exports.produce(start_date="2026-03-03", end_date="2026-03-04")
    # When the first's token is used on the second's path
    link = link_of(exports, owner_conn, first["export_id"])
    stolen = link.replace(first["export_id"], second["export_id"])
    # Then it is refused
    refused(open_anonymously(exports, stolen), 403)


def test_a_token_of_tenant_a_never_opens_tenant_b_export(exports, owner_conn, build):
    # Given a produced export of tenant A and one of tenant B
    item_a, _ = exports.produce()
    exports_b = type(exports)(api=exports.api, worker=exports.worker, aws=exports.aws, tenant=build.tenant())
    item_b, _ = exports_b.produce()
    link_a = link_of(exports, owner_conn, item_a["export_id"])
    # When A's token names B's export, or A's MAC is sent with B's tenant in front of it
    on_b = open_anonymously(exports, link_a.replace(item_a["export_id"], item_b["export_id"]))
    as_b = with_token(link_a, f"{exports_b.tenant.hex}.{token_of(link_a).split('.')[1]}")
    # Then both are refused, and nothing of B is named in the answers
    for response in (on_b, open_anonymously(exports, as_b)):
        refused(response, 403)
        assert str(exports_b.tenant) not in str(response.body)


def test_once_the_export_expired_the_link_is_410(exports, owner_conn, frozen_clock):
    # Given the link of a produced export, and 24 hours later
    item, _ = exports.produce()
    link = link_of(exports, owner_conn, item["export_id"])
    frozen_clock.advance(hours=24)
    # Then the link is gone, and the attempt is audited
    refused(open_anonymously(exports, link), 410)
    outcomes = owner_conn.run("SELECT outcome FROM audit_log WHERE actor_user_id = 'download-link' AND "
                              "target_redacted = :t", t=f"export:{item['export_id']}")  # fmt: skip
    assert outcomes == [["expired"]]


def test_once_an_admin_deleted_the_export_the_link_is_410(exports, owner_conn):
    # Given the link of a produced export that an admin then deletes
    item, _ = exports.produce()
    link = link_of(exports, owner_conn, item["export_id"])
    deleted = exports.request("DELETE", f"/api/v1/analytics/exports/{item['export_id']}")
    assert deleted.status == 204, deleted.body
    # Then the link no longer works
    refused(open_anonymously(exports, link), 410)


def test_a_path_that_is_not_an_export_id_is_403(exports, owner_conn):
    item, _ = exports.produce()
    link = link_of(exports, owner_conn, item["export_id"])
    refused(open_anonymously(exports, link.replace(item["export_id"], "not-a-uuid")), 403)
