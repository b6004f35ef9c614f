"""The requests found answered with a 500 (by tests/e2e/test_fuzz_openapi.py, or by hand), each a plain regression.

Bodies the resolver cannot read (text/plain, multipart without a boundary, bytes that are not UTF-8, JSON nested
5,000 deep or holding a 5,000-digit integer) used to escape as unhandled errors before any route code ran; a page
offset past PostgreSQL's bigint reached the database, and so did a name with a NUL character, which PostgreSQL
text cannot hold. Each is a 4xx in the API's error shape now, and a caller outside the route's roles still learns
nothing but 403.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.api import caller_for, get, invoke, rest_event
from tests.support.exports import EXPORT_PATH, SCHEDULES_PATH

JSON_BODY = '{"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08"}'


def _post(exports, path, body, content_type, *, role="tenant_admin", base64_encoded=False):
    event = rest_event(
        "POST", path, caller=caller_for(exports.tenant, role), headers={"Content-Type": content_type}, body=body
    )
    event["isBase64Encoded"] = base64_encoded
    return invoke(exports.api, event)


@pytest.mark.parametrize("path", [EXPORT_PATH, SCHEDULES_PATH])
@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", "application/xml"])
def test_a_body_that_is_not_json_is_a_415_and_creates_nothing(exports, path, content_type):
    # When an admin sends a JSON text under another content type (multipart without its boundary, too)
    response = _post(exports, path, JSON_BODY, content_type)
    # Then a 415 in the API's error shape, and no export was queued
    assert response.status == 415, response.body
    assert set(response.body) == {"detail"}
    assert exports.aws.receive() == []


def test_a_body_that_is_not_utf8_is_a_422_in_fastapis_shape(exports):
    # Given bytes that are not UTF-8, which API Gateway hands on base64-encoded
    raw = base64.b64encode(b'{"format": "\xff\xfe"}').decode()
    # When they are posted as JSON
    response = _post(exports, EXPORT_PATH, raw, "application/json", base64_encoded=True)
    # Then a validation error on the body
    assert response.status == 422, response.body
    assert response.body["detail"][0]["loc"] == ["body"]


DEEP = "[" * 5000 + "]" * 5000
HUGE = "9" * 5000


@pytest.mark.parametrize("path", [EXPORT_PATH, SCHEDULES_PATH])
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (DEEP, "Nested deeper than 32 levels"),
        ('{"format": ' + DEEP + "}", "Nested deeper than 32 levels"),
        ('{"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08", "scope": ' + HUGE + "}",
         "more than 4300 digits"),
        ('{"day_of_month": -' + HUGE + "}", "more than 4300 digits"),
    ],
    ids=["array-5000-deep", "field-5000-deep", "5000-digit-integer", "5000-digit-negative-integer"],
)  # fmt: skip
def test_json_nested_5000_deep_or_with_a_5000_digit_integer_is_a_422_not_a_500(exports, path, body, reason):
    # Given JSON that json.loads cannot take (RecursionError) or whose integer int() refuses (ValueError)
    response = _post(exports, path, body, "application/json")
    # Then invalid JSON in FastAPI's shape: where in the body, and why
    assert response.status == 422, response.body
    error = response.body["detail"][0]
    assert (error["loc"][0], error["type"]) == ("body", "json_invalid")
    assert reason in error["msg"]
    assert exports.aws.receive() == []


def test_json_32_levels_deep_and_integers_of_4300_digits_are_read_and_judged_by_the_schema(exports):
    # At the limits, the body is JSON: the answer is the schema's verdict on its fields, not invalid JSON
    for field in ('"format": ' + "[" * 31 + "]" * 31, '"include_call_details": ' + "9" * 4300):
        response = _post(exports, EXPORT_PATH, "{" + field + "}", "application/json")
        assert response.status == 422, response.body
        assert {error["type"] for error in response.body["detail"]} != {"json_invalid"}


def test_a_deep_body_from_a_role_outside_the_export_roles_is_still_a_403(exports):
    response = _post(exports, EXPORT_PATH, DEEP, "application/json", role="agent")
    assert response.status == 403, response.body


def test_an_unreadable_body_from_a_role_outside_the_export_roles_is_still_a_403(exports):
    response = _post(exports, EXPORT_PATH, JSON_BODY, "text/plain", role="agent")
    assert response.status == 403, response.body


def test_a_json_body_under_a_charset_parameter_is_still_read(exports):
    response = _post(exports, EXPORT_PATH, JSON_BODY, "application/json; charset=utf-8")
    assert response.status == 200, response.body
    assert response.body["download_url"].startswith(f"{EXPORT_PATH}/")


def test_a_page_offset_past_the_documented_maximum_is_a_422(functions, build):
    # Given an offset larger than PostgreSQL's bigint, which reached the database as a 500
    tenant = build.tenant()
    url = "/api/v2/analytics/conversations/csat/responses?offset=2513144086776871477313536"
    response = get(functions("conversation_analytics"), url, caller_for(tenant))
    assert response.status == 422, response.body
    assert response.body["detail"][0]["loc"] == ["query", "offset"]


def test_the_documented_maximum_offset_is_accepted(functions, build):
    tenant = build.tenant()
    url = "/api/v2/analytics/conversations/csat/responses?offset=1000000000"
    response = get(functions("conversation_analytics"), url, caller_for(tenant))
    assert response.status == 200, response.body
    assert response.body["items"] == []


@pytest.mark.parametrize("name", ["Weekly\x00report", "Weekly\nreport", "tab\there"])
def test_a_schedule_name_with_a_control_character_is_a_422_not_a_500(exports, name):
    # Given a name PostgreSQL text cannot store (NUL), or one that would break the lists showing it
    body = {"name": name, "cadence": "daily", "time_of_day": "08:00", "format": "csv"}
    # When an admin creates a schedule with it
    response = _post(exports, SCHEDULES_PATH, json.dumps(body), "application/json")
    # Then a validation error on the name
    assert response.status == 422, response.body
    assert response.body["detail"][0]["loc"] == ["body", "name"]


def test_a_schedule_name_with_accents_and_punctuation_is_fine(exports):
    body = {"name": "Rapport hebdo: équipe N°1 (été)", "cadence": "daily", "time_of_day": "08:00", "format": "csv"}
    response = _post(exports, SCHEDULES_PATH, json.dumps(body), "application/json")
    assert response.status == 201, response.body
    assert response.body["name"] == body["name"]
