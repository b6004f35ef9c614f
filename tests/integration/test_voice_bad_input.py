"""Bad v1 input is a 422 in FastAPI's shape, never a 500, on the three voice views and the phone search."""

from __future__ import annotations

import pytest

from tests.support.api import assert_validation_error, caller_for, get

V1 = "/api/v1/analytics"
VIEWS = ["call-metrics", "resolution-rates", "usage-patterns"]
WEEK = "start_date=2026-03-02&end_date=2026-03-08"


@pytest.fixture
def tenant(build):
    return build.tenant()


def call(functions, tenant, url):
    module = "call_search" if "/search" in url else "voice_analytics"
    return get(functions(module), url, caller_for(tenant))


def assert_422(response, field):
    assert_validation_error(response, ["query", field])


DATE_CASES = [
    ("end_date=2026-03-08", "start_date"),
    ("start_date=2026-03-01", "end_date"),
    ("start_date=2026-03-09&end_date=2026-03-01", "end_date"),
    ("start_date=2025-03-01&end_date=2026-03-02", "end_date"),  # 367 days
    ("start_date=2026-3-1&end_date=2026-03-08", "start_date"),
    ("start_date=2026-03-01T00:00:00Z&end_date=2026-03-08", "start_date"),
    ("start_date=20260301&end_date=2026-03-08", "start_date"),
    ("start_date=2026-02-30&end_date=2026-03-08", "start_date"),
    ("start_date=2026-03-01&end_date=2026-13-01", "end_date"),
    ("start_date=yesterday&end_date=2026-03-08", "start_date"),
    ("start_date=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-03-01&end_date=2026-03-08", "start_date"),  # full-width digits
    ("start_date=9999-12-31&end_date=9999-12-31", "start_date"),
    ("start_date=0001-01-01&end_date=0001-01-02", "start_date"),
    (f"{WEEK}&tz=Mars/Olympus_Mons", "tz"),
    (f"{WEEK}&tz=UTC%2B3", "tz"),  # POSIX style: PostgreSQL would read the sign backwards
    (f"{WEEK}&tz=localtime", "tz"),
    (f"{WEEK}&tz=..%2F..%2Fetc%2Fpasswd", "tz"),
    (f"{WEEK}&tz=europe%2Fparis", "tz"),
    (f"{WEEK}&tz={'A' * 65}", "tz"),
]
DATE_IDS = [
    "missing-start",
    "missing-end",
    "end-before-start",
    "367-days",
    "unpadded",
    "datetime",
    "compact",
    "feb-30",
    "month-13",
    "word",
    "full-width-digits",
    "year-9999",
    "year-1",
    "unknown-zone",
    "posix-zone",
    "localtime",
    "path",
    "wrong-case",
    "too-long",
]


@pytest.mark.parametrize("route", [*VIEWS, "search"])
@pytest.mark.parametrize(("query", "field"), DATE_CASES, ids=DATE_IDS)
def test_bad_dates_and_time_zones_are_422_on_every_v1_route(functions, tenant, route, query, field):
    extra = "&phone=5678" if route == "search" else ""
    assert_422(call(functions, tenant, f"{V1}/{route}?{query}{extra}"), field)


@pytest.mark.parametrize("route", VIEWS)
def test_the_range_limit_is_inclusive_of_366_days(functions, tenant, route):
    assert call(functions, tenant, f"{V1}/{route}?start_date=2025-03-02&end_date=2026-03-02").status == 200


@pytest.mark.parametrize("value", ["unknown", "RESOLVED", "ticket-created", ""])
def test_an_outcome_outside_the_schema_is_422(functions, tenant, value):
    assert_422(call(functions, tenant, f"{V1}/call-metrics?{WEEK}&outcome={value}"), "outcome")


@pytest.mark.parametrize(
    "outcome", ["resolved", "ticket_created", "escalated", "transferred", "voicemail", "abandoned"]
)
def test_every_outcome_of_the_schema_is_accepted(functions, tenant, outcome):
    assert call(functions, tenant, f"{V1}/call-metrics?{WEEK}&outcome={outcome}").status == 200


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "123",
        "12%203",
        "+1",
        "12a45",
        "5678x",
        "%2B%2B33612345678",
        "33%2B612345678",
        "56%258",
        "56_78",
        "5*78",
        "%2B33%206%2012%2034%2056%2078%2090%2012%2034",  # 18 digits: longer than any E.164 number
        "----",
        "(((1)))",
        "1" * 41,
        "%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98",  # full-width 5678
    ],
)
def test_a_phone_that_is_not_4_to_15_digits_with_separators_is_422(functions, tenant, phone):
    assert_422(call(functions, tenant, f"{V1}/search?{WEEK}&phone={phone}"), "phone")


def test_a_missing_phone_is_422(functions, tenant):
    assert_422(call(functions, tenant, f"{V1}/search?{WEEK}"), "phone")


@pytest.mark.parametrize("limit", ["0", "101", "-5", "ten", "1e2", "50.5"])
def test_a_limit_outside_1_to_100_is_422(functions, tenant, limit):
    assert_422(call(functions, tenant, f"{V1}/search?{WEEK}&phone=5678&limit={limit}"), "limit")


@pytest.mark.parametrize(
    "phone", ["5678", "%2B33612345678", "%2B33%20(0)6%2012-34.56.78", "(555)%20123-4567", "%20%205678%20"]
)
def test_accepted_phone_forms(functions, tenant, phone):
    assert call(functions, tenant, f"{V1}/search?{WEEK}&phone={phone}").status == 200


def test_unknown_query_parameters_are_ignored(functions, tenant):
    assert call(functions, tenant, f"{V1}/call-metrics?{WEEK}&colour=blue").status == 200


@pytest.mark.parametrize(
    "query",
    [
        f"{WEEK}&tz=",  # empty: the default, UTC
        f"{WEEK}&tz=Pacific/Kiritimati",  # UTC+14
        f"{WEEK}&tz=America/St_Johns",  # half-hour offset
        f"{WEEK}&tz=Asia/Kathmandu",  # quarter-hour offset
        "start_date=1970-01-01&end_date=1970-01-01&tz=Pacific/Pago_Pago",
        "start_date=9998-12-31&end_date=9998-12-31&tz=Pacific/Kiritimati",
        # 366 days at either edge: the previous period lies in 1969, the last local midnight in 9999 UTC
        "start_date=1970-01-01&end_date=1971-01-01&tz=Pacific/Kiritimati",
        "start_date=9998-01-01&end_date=9998-12-31&tz=Pacific/Pago_Pago",
    ],
)
@pytest.mark.parametrize("route", [*VIEWS, "search"])
def test_unusual_but_valid_input_is_never_a_500(functions, tenant, route, query):
    extra = "&phone=5678" if route == "search" else ""
    response = call(functions, tenant, f"{V1}/{route}?{query}{extra}")
    assert response.status == 200, response.body
