"""Bad v2 input is a 422 in FastAPI's shape, never a 500; unknown parameters are ignored."""

from __future__ import annotations

import pytest

from tests.support.api import assert_validation_error, caller_for, get

BASE = "/api/v2/analytics/conversations"
ROUTES = ["overview", "sla-compliance", "csat", "csat/responses", "resolution-rates", "insights", "aggregation-health"]


@pytest.fixture
def tenant(build):
    return build.tenant()


def call(functions, tenant, url):
    module = "unified_overview" if "unified" in url else "conversation_analytics"
    return get(functions(module), url, caller_for(tenant))


def assert_422(response, field):
    assert_validation_error(response, ["query", field])


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-03-09&date_to=2026-03-01", "date_from"),
        ("date_from=2025-01-01&date_to=2026-03-01", "date_to"),
        ("date_from=yesterday", "date_from"),
        ("date_to=2026-13-45", "date_to"),
        ("date_from=2026-03-01T25:00:00Z", "date_from"),
    ],
    ids=["from-after-to", "over-366-days", "unparsable-from", "impossible-date", "impossible-time"],
)
def test_bad_dates_are_422_on_every_route(functions, tenant, route, query, field):
    assert_422(call(functions, tenant, f"{BASE}/{route}?{query}"), field)


def test_bad_dates_are_422_on_the_unified_overview(functions, tenant):
    assert_422(call(functions, tenant, "/api/v2/analytics/unified-overview?date_from=nope"), "date_from")


EVERY_DATED_ROUTE = [f"{BASE}/{route}" for route in ROUTES] + ["/api/v2/analytics/unified-overview"]


@pytest.mark.parametrize("url", EVERY_DATED_ROUTE)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=0001-01-01T00:00:00%2B05:00", "date_from"),
        ("date_to=9999-12-31T23:59:59-05:00", "date_to"),
        ("date_to=0001-01-05", "date_to"),
        ("date_from=9999-12-31&date_to=9999-12-31", "date_to"),
        ("date_from=1969-12-31T23:59:59Z&date_to=1970-01-02", "date_from"),
        ("date_from=9998-12-31T00:00:00Z&date_to=9998-12-31T23:00:00-05:00", "date_to"),
        ("date_to=1970-01-05", "date_from"),
    ],
    ids=[
        "year-1-shifted-before-year-1",
        "year-9999-shifted-past-9999",
        "default-start-before-year-1",
        "year-9999",
        "before-1970",
        "past-9998-in-utc",
        "default-start-before-1970",
    ],
)
def test_dates_outside_1970_to_9998_are_422_not_500_on_every_route(functions, tenant, url, query, field):
    # Given a bound (or the default start, 30 days before date_to) that Python's datetime cannot shift to UTC or
    # step back from, or that lies outside the years the API serves
    response = call(functions, tenant, f"{url}?{query}")
    # Then a validation error on that bound, in FastAPI's shape, saying which years are served
    assert_422(response, field)
    assert "1970-01-01" in response.body["detail"][0]["msg"]


@pytest.mark.parametrize("url", EVERY_DATED_ROUTE)
@pytest.mark.parametrize(
    "query",
    [
        "date_from=1970-01-01T00:00:00Z&date_to=1970-12-31T23:59:59Z",
        "date_from=1970-01-01T05:00:00%2B05:00&date_to=1970-01-31",
        "date_from=9998-01-01&date_to=9998-12-31",
        "date_from=9998-12-31T00:00:00%2B14:00&date_to=9998-12-31T23:59:59.999999Z",
    ],
    ids=["first-year", "first-instant-with-offset", "last-year", "last-instant"],
)
def test_the_first_and_last_years_served_answer_200_on_every_route(functions, tenant, url, query):
    # Given a range at either edge of the years served (previous periods and rollup windows step past them)
    response = call(functions, tenant, f"{url}?{query}")
    # Then an answer, not a 500
    assert response.status == 200, response.body


@pytest.mark.parametrize("route", ["csat", "csat/responses", "resolution-rates"])
def test_a_non_uuid_team_id_is_422(functions, tenant, route):
    assert_422(call(functions, tenant, f"{BASE}/{route}?team_id=tier-1"), "team_id")


@pytest.mark.parametrize("route", ["csat", "csat/responses"])
def test_a_non_uuid_agent_id_is_422(functions, tenant, route):
    assert_422(call(functions, tenant, f"{BASE}/{route}?agent_id=42"), "agent_id")


@pytest.mark.parametrize(
    ("query", "field"), [("limit=0", "limit"), ("limit=201", "limit"), ("limit=ten", "limit"), ("offset=-1", "offset")]
)
def test_limit_and_offset_out_of_bounds_are_422(functions, tenant, query, field):
    assert_422(call(functions, tenant, f"{BASE}/csat/responses?{query}"), field)


def test_the_range_limit_is_inclusive_of_366_days(functions, tenant):
    response = call(functions, tenant, f"{BASE}/overview?date_from=2025-03-01T00:00:00Z&date_to=2026-03-02T00:00:00Z")
    assert response.status == 200


def test_offsets_are_honoured_and_bare_dates_cover_whole_days(functions, build):
    from tests.support.builders import at

    tenant = build.tenant()
    build.conversation(tenant, at("2026-03-08 23:30"))  # 2026-03-09 00:30 at +01:00
    build.conversation(tenant, at("2026-03-01 00:00"))
    whole_days = call(functions, tenant, f"{BASE}/overview?date_from=2026-03-01&date_to=2026-03-08")
    assert whole_days.body["total_conversations"] == 2
    paris_day = call(
        functions, tenant, f"{BASE}/overview?date_from=2026-03-09T00:00:00%2B01:00&date_to=2026-03-09T23:59:59%2B01:00"
    )
    assert paris_day.body["total_conversations"] == 1


def test_unknown_query_parameters_are_ignored(functions, tenant):
    assert call(functions, tenant, f"{BASE}/overview?colour=blue&date_from=2026-03-01").status == 200


def test_without_dates_the_default_range_is_the_last_30_days(functions, build, clock):
    from datetime import timedelta

    tenant = build.tenant()
    build.conversation(tenant, clock.now - timedelta(days=29))
    build.conversation(tenant, clock.now - timedelta(days=31))
    assert call(functions, tenant, f"{BASE}/overview").body["total_conversations"] == 1
