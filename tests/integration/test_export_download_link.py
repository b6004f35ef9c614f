"""A dashboard in a browser downloads an export by asking for JSON: fetch() follows a 302 to S3 itself (the page never
sees the Location), and a page cannot navigate to a route that needs a Bearer token. With `Accept: application/json`
the ready export answers 200 {"url", "expires_at"}; every other Accept still gets the spec's 302.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


def test_a_client_asking_for_json_gets_the_presigned_url_and_when_it_stops_working(exports, frozen_clock):
    # Given a produced export, created at 2026-03-09 12:00 (it expires a day later)
    created = exports.create_ok()
    exports.run_worker()
    # When a browser's fetch() asks for it as JSON
    response = exports.download(created["export_id"], headers={"Accept": "application/json"})
    # Then it answers 200 with the presigned URL of the tenant's file, not a redirect
    assert response.status == 200, response.body
    assert set(response.body) == {"url", "expires_at"}
    url = urlsplit(response.body["url"])
    assert url.path.endswith(f"/exports/{exports.tenant}/{created['export_id']}.csv")
    assert "X-Amz-Signature" in parse_qs(url.query)
    # And the URL's own lifetime (15 minutes) is what expires_at says
    assert parse_qs(url.query)["X-Amz-Expires"] == ["900"]
    assert response.body["expires_at"] == "2026-03-09T12:15:00Z"
    # And nothing caches it, nor mixes it up with the redirect answered to other Accept headers
    assert response.header("Cache-Control") == "no-store"
    assert response.header("Vary") == "Accept"
    # And it names the object the worker wrote (tests/e2e/test_browser_download.py reads it through the URL)
    assert url.path.removeprefix(f"/{exports.aws.bucket}").lstrip("/") in exports.aws.objects()


def test_near_its_end_the_link_expires_with_the_export(exports, frozen_clock):
    # Given a produced export with 10 minutes left in its window
    created = exports.create_ok()
    exports.run_worker()
    frozen_clock.advance(hours=23, minutes=50)
    # When the dashboard asks for its link
    response = exports.download(created["export_id"], headers={"Accept": "application/json"})
    # Then the link stops working when the export does
    assert response.body["expires_at"] == "2026-03-10T12:00:00Z"
    assert parse_qs(urlsplit(response.body["url"]).query)["X-Amz-Expires"] == ["600"]


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8", "application/json;q=0", "application/jsonx"],
    ids=["none", "anything", "browser-navigation", "json-refused", "other-type"],
)
def test_every_other_accept_still_gets_the_specs_redirect(exports, accept):
    # Given a produced export
    created = exports.create_ok()
    exports.run_worker()
    # When a client that does not ask for JSON downloads it (curl -L, a navigation, a client refusing JSON)
    response = exports.download(created["export_id"], headers={"Accept": accept} if accept else None)
    # Then it is redirected to the file, as the spec says
    assert response.status == 302
    assert "X-Amz-Signature" in parse_qs(urlsplit(response.header("Location")).query)
    assert response.header("Vary") == "Accept"


@pytest.mark.parametrize("accept", ["application/json", "text/plain, Application/JSON; q=0.5"])
def test_json_is_recognised_among_other_types_and_in_any_case(exports, accept):
    # Given a produced export
    created = exports.create_ok()
    exports.run_worker()
    # When the Accept header names JSON with other types, or in capitals, with a non-zero quality
    response = exports.download(created["export_id"], headers={"Accept": accept})
    # Then the link is answered as JSON
    assert response.status == 200
    assert set(response.body) == {"url", "expires_at"}


def test_an_export_not_ready_answers_the_same_202_to_a_json_client(exports):
    # Given an export still queued
    created = exports.create_ok()
    # When the dashboard asks for its link
    response = exports.download(created["export_id"], headers={"Accept": "application/json"})
    # Then it is told to retry, as every client is
    assert response.status == 202
    assert response.body == {"detail": "The export is queued; retry shortly", "status": "queued"}
