"""Conventions clients of API Gateway and FastAPI rely on, through the functions' handlers.

A repeated scalar query key means its last value (API Gateway's queryStringParameters and FastAPI both take the
last one); it was a 422 because Powertools validated the list of every value. A JSON body sent without
`Content-Type: application/json` (curl -d sends application/x-www-form-urlencoded) is a 415 saying what to send,
on every route that takes a body; it was a 422 whose loc was the client's whole JSON text.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.api import caller_for, get, invoke, rest_event
from tests.support.builders import at
from tests.support.database import REPO

V1, V2 = "/api/v1/analytics", "/api/v2/analytics"
CSAT_RESPONSES = f"{V2}/conversations/csat/responses"
SCHEDULE = {"name": "Weekly", "cadence": "weekly", "weekday": "monday", "time_of_day": "06:00", "format": "csv"}
# Every route that takes a JSON body: (function, method, path, a valid body).
BODY_ROUTES = [
    ("exports", "POST", f"{V1}/export", {"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08"}),
    ("exports", "POST", f"{V1}/export-schedules", SCHEDULE),
    ("exports", "PATCH", f"{V1}/export-schedules/{uuid.UUID(int=1)}", {"name": "Renamed"}),
    ("exports", "POST", f"{V1}/export-destinations", {"kind": "email", "name": "Ops", "email": "ops@example.com"}),
    ("exports", "POST", f"{V1}/export-destinations/{uuid.UUID(int=1)}/verify", {"token": "123456"}),
    ("api_keys", "POST", f"{V2}/api-keys", {"name": "Reporting"}),
    ("api_keys", "PUT", f"{V2}/api-keys/access", {"enabled": True}),
]
BODY_IDS = [f"{method} {path.split('/analytics/')[1]}" for _, method, path, _ in BODY_ROUTES]


def _send(functions, tenant, route, body: str, content_type: str | None, role: str = "tenant_admin"):
    module, method, path, _ = route
    headers = {"Content-Type": content_type} if content_type is not None else {}
    event = rest_event(method, path, caller=caller_for(tenant, role), headers=headers, body=body)
    return invoke(functions(module), event)


def test_every_route_with_a_body_in_the_openapi_document_is_listed_here():
    # A body route added tomorrow is checked for its content types too
    document = json.loads((REPO / "docs" / "openapi.json").read_text())
    documented = {
        (
            method.upper(),
            path.replace("{schedule_id}", str(uuid.UUID(int=1))).replace("{destination_id}", str(uuid.UUID(int=1))),
        )
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert documented == {(method, path) for _, method, path, _ in BODY_ROUTES}


@pytest.mark.parametrize("route", BODY_ROUTES, ids=BODY_IDS)
def test_a_json_body_sent_as_a_form_as_curl_does_without_a_content_type_is_a_415_saying_to_send_json(
    functions, build, route
):
    # Given an admin's valid JSON body, sent the way `curl -d '{...}'` sends it without -H
    tenant = build.tenant()
    response = _send(functions, tenant, route, json.dumps(route[3]), "application/x-www-form-urlencoded")
    # Then a 415 in the API's error shape that says what to send
    assert response.status == 415, response.body
    assert set(response.body) == {"detail"}
    assert "Content-Type: application/json" in response.body["detail"]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=BODY_IDS)
def test_a_form_body_from_a_role_outside_the_routes_roles_is_still_a_403(functions, build, route):
    response = _send(functions, build.tenant(), route, "a=1", "application/x-www-form-urlencoded", role="agent")
    assert response.status == 403, response.body


@pytest.mark.parametrize("content_type", ["Application/JSON", "application/json; charset=UTF-8", None])
def test_json_under_any_spelling_of_its_media_type_or_none_at_all_is_read(functions, build, content_type):
    # Media types are case-insensitive; a client that sends no Content-Type at all sends JSON here
    tenant = build.tenant()
    route = BODY_ROUTES[1]
    response = _send(functions, tenant, route, json.dumps(SCHEDULE), content_type)
    assert response.status == 201, response.body


def test_a_repeated_limit_takes_its_last_value(functions, build):
    # Given 8 answered surveys
    tenant = build.tenant()
    for day in range(1, 9):
        conversation = build.conversation(tenant, at(f"2026-03-0{day} 10:00"))
        sent = at(f"2026-03-0{day} 11:00")
        build.csat(tenant, conversation, sent, responded_at=sent, rating=4)
    # When a page size is given twice
    query = "date_from=2026-03-01&date_to=2026-03-08&limit=5&limit=7"
    response = get(functions("conversation_analytics"), f"{CSAT_RESPONSES}?{query}", caller_for(tenant))
    # Then the last one counts, as in API Gateway's queryStringParameters and in FastAPI
    assert response.status == 200, response.body
    assert (response.body["limit"], len(response.body["items"]), response.body["total"]) == (7, 7, 8)


def test_a_repeated_date_takes_its_last_value(functions, build):
    # Given one conversation on March 2 and one on March 6
    tenant = build.tenant()
    build.conversation(tenant, at("2026-03-02 10:00"))
    build.conversation(tenant, at("2026-03-06 10:00"))
    # When date_from is given twice, the second after the first conversation
    query = "date_from=2026-03-01&date_from=2026-03-05&date_to=2026-03-08"
    response = get(functions("conversation_analytics"), f"{V2}/conversations/overview?{query}", caller_for(tenant))
    # Then only the conversation after the last date_from counts
    assert response.status == 200, response.body
    assert response.body["total_conversations"] == 1


def test_a_repeated_voice_parameter_takes_its_last_value(functions, build):
    tenant = build.tenant()
    query = "start_date=2026-03-01&end_date=2026-03-08&tz=Mars/Olympus&tz=Europe/Paris"
    response = get(functions("voice_analytics"), f"{V1}/call-metrics?{query}", caller_for(tenant))
    assert response.status == 200, response.body


def test_a_repeated_value_that_is_invalid_last_is_still_a_422_on_that_parameter(functions, build):
    tenant = build.tenant()
    url = f"{CSAT_RESPONSES}?limit=7&limit=500"
    response = get(functions("conversation_analytics"), url, caller_for(tenant))
    assert response.status == 422, response.body
    assert response.body["detail"][0]["loc"] == ["query", "limit"]
