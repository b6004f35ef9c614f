"""The live path's whole promise, as a property: order, duplicates and redeliveries do not change any answer.

A generated event log of one tenant (every entity type, most entities in several versions) is applied once, in
order; the API's answers and the stored rows are kept; the tenant is removed; then the same log is replayed in a
random order, with 10 % of its events published twice and some messages delivered again after they were
applied, through the ingest function's SQS batches of random sizes (events that arrive before their tenant are
reported as failed and come back later, as SQS brings them back). Every answer and every row must be the same.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest

from aurion.ingest.events import EVENT_TYPES
from tests.support.api import FakeLambdaContext, caller_for, get
from tests.support.builders import at
from tests.support.ingest_events import HelpdeskEvents, iso, messages, sqs_event

V2_RANGE = "date_from=2025-03-01&date_to=2025-03-15"
V1_RANGE = "start_date=2025-03-01&end_date=2025-03-15"
ANSWERS = {
    "conversation_analytics": [
        f"/api/v2/analytics/conversations/overview?{V2_RANGE}",
        f"/api/v2/analytics/conversations/sla-compliance?{V2_RANGE}",
        f"/api/v2/analytics/conversations/csat?{V2_RANGE}",
        f"/api/v2/analytics/conversations/csat/responses?{V2_RANGE}&limit=200",
        f"/api/v2/analytics/conversations/resolution-rates?{V2_RANGE}",
        "/api/v2/analytics/conversations/teams",
        f"/api/v2/analytics/conversations/insights?{V2_RANGE}",
    ],
    "voice_analytics": [
        f"/api/v1/analytics/call-metrics?{V1_RANGE}",
        f"/api/v1/analytics/resolution-rates?{V1_RANGE}",
        f"/api/v1/analytics/usage-patterns?{V1_RANGE}",
    ],
    "unified_overview": [f"/api/v2/analytics/unified-overview?{V2_RANGE}"],
}
# The helpdesk tables as the API reads them; bigint row ids and updated_at are ours, not the event's.
TABLES = (
    "tenants", "teams", "users", "contacts", "email_channels", "help_center_articles", "conversations",
    "csat_surveys", "article_views", "article_feedback", "email_messages", "calls", "llm_usage",
)  # fmt: skip


def event_log(tenant_id: str, rng: random.Random) -> list[dict[str, Any]]:
    """Every entity's versions, oldest first; about 150 events. Times in the first days of March 2025."""
    events = HelpdeskEvents(tenant_id)
    log: list[dict[str, Any]] = [
        events.tenant(version=1, plan="professional"),
        events.tenant(version=2, name="Renamed"),
    ]

    def versions(first: dict[str, Any], *changes: dict[str, Any]) -> None:
        """The entity as first published, then after each change (every snapshot is the whole state)."""
        log.append(first)
        state = first["data"]
        for number, change in enumerate(changes, start=2):
            state = {**state, **change}
            later = {**first, "event_id": str(uuid.uuid4()), "data": state}
            if "version" in first:
                later["version"] = number
            else:
                later["updated_at"] = later["occurred_at"] = iso(at("2025-03-01 00:00") + number * minutes(rng))
            log.append(later)

    teams = [events.team(name=name) for name in ("Tier 1", "Billing")]
    for team in teams:
        versions(team, {"name": team["data"]["name"] + " (EU)"})
    team_ids = [team["data"]["id"] for team in teams]
    agents = [events.user(name=f"Agent {i}", team_id=team_ids[i % 2]) for i in range(3)]
    for agent in agents:
        versions(agent, {"team_id": rng.choice(team_ids)})
    agent_ids = [agent["data"]["id"] for agent in agents]
    contacts = [events.contact(name=f"Contact {i}", email=f"c{i}@example.org") for i in range(4)]
    for contact in contacts:
        versions(contact, {"email_bounced_at": "2025-03-04T08:00:00Z"} if rng.random() < 0.3 else {})
    contact_ids = [contact["data"]["id"] for contact in contacts]
    channel = events.email_channel()
    versions(channel)
    articles = [events.article(slug=f"article-{i}", title=f"Article {i}") for i in range(2)]
    for article in articles:
        versions(article, {"status": "archived"} if rng.random() < 0.5 else {})
    article_ids = [article["data"]["id"] for article in articles]

    conversation_ids = []
    for i in range(14):
        created = at("2025-03-02 08:00") + i * minutes(rng, 20, 300)
        first = events.conversation(
            channel=rng.choice(["email", "chat", "voice"]),
            priority=rng.choice(["urgent", "high", "medium", "low"]),
            topic=rng.choice(["billing", "vpn", None]),
            contact_id=rng.choice(contact_ids),
            team_id=rng.choice(team_ids),
            email_channel_id=channel["data"]["id"],
            created_at=iso(created),
            first_response_due_at=iso(created + minutes(rng, 30, 90)),
            resolution_due_at=iso(created + minutes(rng, 240, 900)),
        )
        answered = iso(created + minutes(rng, 5, 120))
        resolved = iso(created + minutes(rng, 130, 1200))
        by = rng.choice(["ai", "human"])
        versions(
            first,
            {"assignee_user_id": rng.choice(agent_ids), "status": "pending", "first_response_at": answered},
            {"status": "resolved", "resolved_at": resolved, "resolved_by": by, "escalated": rng.random() < 0.2}
            | ({"kb_article_id": rng.choice(article_ids)} if by == "ai" else {}),
        )
        conversation_ids.append(first["data"]["id"])
        if rng.random() < 0.6:
            survey = events.csat(first["data"]["id"], contact_id=first["data"]["contact_id"], sent_at=resolved)
            versions(survey, {"responded_at": resolved, "rating": rng.randint(1, 5), "comment": "ok"})
    for i in range(8):
        view = events.article_view(rng.choice(article_ids), viewed_at=iso(at("2025-03-02 07:00") + i * minutes(rng)))
        versions(view, {"led_to_conversation_id": rng.choice(conversation_ids)} if rng.random() < 0.4 else {})
        log.append(events.article_feedback(rng.choice(article_ids), helpful=rng.random() < 0.7))
    for i in range(10):
        log.append(
            events.email_message(
                channel["data"]["id"],
                conversation_id=rng.choice(conversation_ids),
                direction=rng.choice(["inbound", "outbound"]),
                sent_at=iso(at("2025-03-02 09:00") + i * minutes(rng)),
            )
        )
    for i in range(6):
        started = at("2025-03-03 09:00") + i * minutes(rng, 30, 240)
        call = events.call(version=None, updated_at=iso(started), started_at=iso(started), status="completed")
        call["occurred_at"] = iso(started)
        duration = rng.randint(60, 900)
        versions(
            call,
            {
                "ended_at": iso(started + timedelta(seconds=duration)),
                "duration_seconds": duration,
                "outcome": rng.choice(["resolved", "ticket_created", "escalated", "abandoned"]),
                "category": rng.choice(["billing", "technical"]),
                "first_call_resolution": rng.random() < 0.5,
            },
        )
        for _ in range(rng.randint(0, 2)):
            log.append(
                events.llm_request(
                    call_id=call["data"]["id"],
                    requested_at=iso(started + minutes(rng, 1, 5)),
                    input_tokens=rng.randint(50, 900),
                    output_tokens=rng.randint(5, 90),
                )
            )
    return log


def minutes(rng: random.Random, low: int = 1, high: int = 60) -> timedelta:
    return timedelta(minutes=rng.randint(low, high))


def answers(functions, tenant: str) -> dict[str, Any]:
    out = {}
    for function, urls in ANSWERS.items():
        for url in urls:
            response = get(functions(function), url, caller_for(tenant))
            assert response.status == 200, (url, response.body)
            # The insights' aggregation health reports how long its queries took: not an answer about the data.
            out[url] = {key: value for key, value in response.body.items() if key != "aggregation_health"}
    return out


def rows(owner, tenant: str) -> dict[str, list]:
    state = {}
    for table in TABLES:
        column = "id" if table == "tenants" else "tenant_id"
        result = owner.run(
            f"SELECT to_jsonb(t) - 'updated_at' - 'id' AS r FROM {table} t WHERE {column} = :t", t=tenant
        )
        state[table] = sorted(str(r[0]) for r in result)
    return state


def deliver_in_order(ingest, log: list[dict[str, Any]]) -> None:
    for start in range(0, len(log), 25):
        result = ingest.lambda_handler(sqs_event(messages(log[start : start + 25])), FakeLambdaContext())
        assert result == {"batchItemFailures": []}


def deliver_shuffled(ingest, log: list[dict[str, Any]], rng: random.Random) -> dict[str, int]:
    """The log through a simulated queue: shuffled, 10 % published twice, failed messages and some applied ones
    delivered again (SQS is at-least-once), in batches of random sizes."""
    queue = messages(log + rng.sample(log, len(log) // 10))
    rng.shuffle(queue)
    counts = {"batches": 0, "redelivered": 0, "retried": 0}
    while queue:
        size = rng.randint(1, 30)
        batch, queue = queue[:size], queue[size:]
        result = ingest.lambda_handler(sqs_event(batch), FakeLambdaContext())
        failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        counts["batches"] += 1
        for message in batch:
            if message[0] in failed:
                counts["retried"] += 1
                queue.insert(rng.randint(0, len(queue)), message)
            elif rng.random() < 0.05:
                counts["redelivered"] += 1
                queue.insert(rng.randint(0, len(queue)), message)
        assert counts["batches"] < 2000, "the queue does not drain"
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_shuffled_log_with_duplicates_and_redeliveries_gives_the_same_answers_as_the_log_in_order(
    functions, owner_conn, seed
):
    # Given a tenant's event log, applied once in order, and the answers and rows it gives
    rng = random.Random(seed)
    tenant = str(uuid.uuid4())
    log = event_log(tenant, rng)
    assert {event["type"] for event in log} == set(EVENT_TYPES)
    ingest = functions("ingest")
    deliver_in_order(ingest, log)
    expected_answers, expected_rows = answers(functions, tenant), rows(owner_conn, tenant)
    assert expected_answers[f"/api/v2/analytics/conversations/overview?{V2_RANGE}"]["total_conversations"] == 14
    owner_conn.run("DELETE FROM tenants WHERE id = :t", t=tenant)
    # When the same log arrives shuffled, partly twice, with redeliveries, in random batches
    counts = deliver_shuffled(ingest, log, rng)
    # Then every answer and every row is the same
    assert counts["retried"] > 0  # some events came before their tenant and were held
    assert counts["redelivered"] > 0
    assert rows(owner_conn, tenant) == expected_rows
    assert answers(functions, tenant) == expected_answers
    assert owner_conn.run("SELECT count(*) FROM ingest_rejections WHERE tenant_id = :t", t=tenant) == [[0]]
