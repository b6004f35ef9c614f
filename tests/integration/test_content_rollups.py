"""CSAT, help-center and email rollups: answers read through them equal the raw answers, and follow late writes.

The reference is the same endpoint before the aggregator ever ran for the tenant (no rollup state: every range
is read from raw rows). Random data over 40 days and random ranges, one aggregator run, the same requests.
Every test that reads "now" runs on a fixed clock, once per calendar edge (tests/support/clock.py).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from aurion.rollups import aggregator
from tests.integration.test_conversation_rollups import random_ranges
from tests.support.api import caller_for, get
from tests.support.transactions import one_transaction

BASE = "/api/v2/analytics/conversations"
UNIFIED = "/api/v2/analytics/unified-overview"
INSIGHTS_BLOCKS = ("csat", "help_center_deflection", "email_channel_metrics")
DAYS = 40


def _moment(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(seconds=rng.randint(0, DAYS * 86400))


def build_content_tenant(build, rng: random.Random, now: datetime) -> dict[str, Any]:
    """Conversations with agents, teams, mailboxes and articles; surveys, views, feedback, messages, bounces."""
    tenant = build.tenant()
    teams = [build.team(tenant, f"Team {i}") for i in range(3)]
    agents = [build.user(tenant, f"Agent {i}", team_id=teams[i % 3]) for i in range(5)]
    mailboxes = [
        build.insert("email_channels", id=uuid.uuid4(), tenant_id=tenant, address=f"box{i}@t.example", status=status)
        for i, status in enumerate(("active", "active", "inactive"))
    ]
    articles = [
        build.insert(
            "help_center_articles",
            id=uuid.uuid4(),
            tenant_id=tenant,
            title=f"Article {i}",
            slug=f"article-{i}",
            status=rng.choice(("published", "published", "draft")),
        )
        for i in range(8)
    ]
    conversations = []
    for _ in range(150):
        created = _moment(rng, now)
        fields: dict[str, Any] = {"channel": rng.choice(("email", "email", "chat", "web"))}
        if rng.random() < 0.85:
            fields["assignee_user_id"] = rng.choice(agents)
        if rng.random() < 0.85:
            fields["team_id"] = rng.choice(teams)
        if rng.random() < 0.6:
            fields["email_channel_id"] = rng.choice(mailboxes)
        if rng.random() < 0.6:
            fields["resolved_at"] = min(created + timedelta(hours=rng.randint(0, 48)), now)
            fields["resolved_by"] = rng.choice(("ai", "human"))
            if rng.random() < 0.6:
                fields["kb_article_id"] = rng.choice(articles)
        conversations.append((build.conversation(tenant, created, **fields), created))
    for conversation, created in rng.sample(conversations, 120):
        sent = min(created + timedelta(hours=rng.randint(0, 24)), now)
        answer: dict[str, Any] = {}
        if rng.random() < 0.8:
            answer["responded_at"] = min(sent + timedelta(seconds=rng.randint(0, 5 * 86400)), now)
            answer["rating"] = rng.choice((1, 2, 3, 4, 5, 5, 4, None))
        build.csat(tenant, conversation, sent, **answer)
    for _ in range(300):
        led_to = rng.choice(conversations)[0] if rng.random() < 0.3 else None
        build.conn.run(
            "INSERT INTO article_views (tenant_id, article_id, viewed_at, led_to_conversation_id) "
            "VALUES (:t, :a, :v, :l)",
            t=tenant, a=rng.choice(articles[:6]), v=_moment(rng, now), l=led_to,
        )  # fmt: skip
    for _ in range(100):
        build.conn.run(
            "INSERT INTO article_feedback (tenant_id, article_id, helpful, created_at) VALUES (:t, :a, :h, :c)",
            t=tenant, a=rng.choice(articles), h=rng.random() < 0.7, c=_moment(rng, now),
        )  # fmt: skip
    for _ in range(250):
        build.conn.run(
            "INSERT INTO email_messages (tenant_id, email_channel_id, conversation_id, direction, sent_at) "
            "VALUES (:t, :m, :c, :d, :s)",
            t=tenant, m=rng.choice(mailboxes), c=rng.choice(conversations)[0],
            d=rng.choice(("inbound", "outbound")), s=_moment(rng, now),
        )  # fmt: skip
    for i in range(40):
        bounced = _moment(rng, now) if rng.random() < 0.4 else None
        complained = _moment(rng, now) if rng.random() < 0.2 else None
        build.insert("contacts", id=uuid.uuid4(), tenant_id=tenant, name=f"Contact {i}",
                     email_bounced_at=bounced, email_complained_at=complained)  # fmt: skip
    return {"tenant": tenant, "teams": teams, "agents": agents}


def answers(functions, data: dict[str, Any], queries: list[str]) -> dict[str, Any]:
    """Every CSAT variant, the drilldown, the insights content blocks and the unified kb / csat_avg, per range."""
    conversations, unified = functions("conversation_analytics"), functions("unified_overview")
    caller = caller_for(data["tenant"], "tenant_admin")
    agent, team = data["agents"][0], data["teams"][1]
    filters = ("", f"&agent_id={agent}", f"&team_id={team}", f"&agent_id={agent}&team_id={data['teams'][0]}")
    results: dict[str, Any] = {}

    def ask(app, url: str) -> Any:
        response = get(app, url, caller)
        assert response.status == 200, (url, response.body)
        return response.body

    for query in queries:
        for extra in filters:
            results[f"csat?{query}{extra}"] = ask(conversations, f"{BASE}/csat?{query}{extra}")
            results[f"responses?{query}{extra}"] = ask(conversations, f"{BASE}/csat/responses?{query}{extra}&limit=5")
        insights = ask(conversations, f"{BASE}/insights?{query}")
        results[f"insights?{query}"] = {block: insights[block] for block in INSIGHTS_BLOCKS}
        overview = ask(unified, f"{UNIFIED}?{query}")
        results[f"unified?{query}"] = {"kb": overview["kb"], "csat_avg": overview["cs"]["csat_avg"]}
    return results


def test_rollup_backed_csat_help_center_and_email_answers_equal_the_raw_answers(
    functions, build, aggregator_db, calendar_clock
):
    # Given random surveys, views, feedback and email over the 40 days before the clock, and the answers read raw
    rng = random.Random(20261201)
    now = calendar_clock.now
    with one_transaction(build.conn):
        data = build_content_tenant(build, rng, now)
    queries = random_ranges(rng, now, 2)
    raw = answers(functions, data, queries)
    assert any(body["total_responses"] for key, body in raw.items() if key.startswith("csat?") and "agent_id" in key)

    # When the aggregator rolls the tenant's closed days up
    result = aggregator.run_tenant(aggregator_db, str(data["tenant"]))
    assert not result.skipped
    # DAYS back from any time of day: at least the DAYS - 1 whole days before today
    assert result.days_rebuilt >= DAYS - 1

    # Then every answer is exactly the same
    rolled = answers(functions, data, queries)
    for key, expected in raw.items():
        assert rolled[key] == expected, key


def _closed_range(now: datetime) -> str:
    """The 20 whole days before yesterday: all of it comes from the rollup after a run."""
    return f"date_from={(now - timedelta(days=21)).date()}&date_to={(now - timedelta(days=2)).date()}"


def test_a_csat_answered_late_shows_up_in_the_next_answer_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a survey sent twelve days ago, unanswered when the rollups were built
    now = calendar_clock.now
    tenant = build.tenant()
    sent = now - timedelta(days=12)
    survey = build.csat(tenant, build.conversation(tenant, sent), sent)
    aggregator.run_tenant(aggregator_db, str(tenant))
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    url = f"{BASE}/csat?{_closed_range(now)}"
    assert get(app, url, caller).body["total_responses"] == 0

    # When the answer (given ten days ago) is recorded today and the aggregator runs once
    answered = datetime.combine((now - timedelta(days=10)).date(), time(9), tzinfo=UTC)
    owner_conn.run("UPDATE csat_surveys SET responded_at = :r, rating = 5 WHERE id = :id", r=answered, id=survey)
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the next answers count it
    body = get(app, url, caller).body
    assert (body["total_responses"], body["avg_rating"], body["distribution"]) == (
        1, 5.0, [{"rating": 5, "response_count": 1}],
    )  # fmt: skip
    assert get(app, f"{BASE}/csat/responses?{_closed_range(now)}", caller).body["total"] == 1


def test_a_reassigned_conversation_moves_its_csat_to_the_new_agent_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a rated response on a conversation of agent Ann, rolled up
    now = calendar_clock.now
    tenant = build.tenant()
    ann, ben = build.user(tenant, "Ann"), build.user(tenant, "Ben")
    opened = now - timedelta(days=9)
    conversation = build.conversation(tenant, opened, assignee_user_id=ann)
    build.csat(tenant, conversation, opened, responded_at=opened + timedelta(hours=1), rating=4)
    aggregator.run_tenant(aggregator_db, str(tenant))
    app, caller = functions("conversation_analytics"), caller_for(tenant)

    # When the conversation is reassigned to Ben and the aggregator runs once
    owner_conn.run("UPDATE conversations SET assignee_user_id = :b WHERE id = :id", b=ben, id=conversation)
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the response is Ben's, in the per-agent list and under both agent filters
    body = get(app, f"{BASE}/csat?{_closed_range(now)}", caller).body
    assert [agent["assignee_name"] for agent in body["per_agent"]] == ["Ben"]
    assert get(app, f"{BASE}/csat?{_closed_range(now)}&agent_id={ann}", caller).body["total_responses"] == 0
    assert get(app, f"{BASE}/csat/responses?{_closed_range(now)}&agent_id={ben}", caller).body["total"] == 1


def test_a_view_found_to_lead_to_a_conversation_stops_deflecting_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given two views of an article five days ago, both deflecting when the rollups were built
    now = calendar_clock.now
    tenant = build.tenant()
    article = build.insert("help_center_articles", id=uuid.uuid4(), tenant_id=tenant, title="VPN", slug="vpn",
                           status="published")  # fmt: skip
    viewed = now - timedelta(days=5)
    view_ids = [
        owner_conn.run(
            "INSERT INTO article_views (tenant_id, article_id, viewed_at) VALUES (:t, :a, :v) RETURNING id",
            t=tenant,
            a=article,
            v=viewed,
        )[0][0]
        for _ in range(2)
    ]
    aggregator.run_tenant(aggregator_db, str(tenant))
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    url = f"{BASE}/insights?{_closed_range(now)}"
    assert get(app, url, caller).body["help_center_deflection"]["deflection_rate"] == 100.0

    # When one reader opens a conversation and the view is marked, and the aggregator runs once
    conversation = build.conversation(tenant, viewed + timedelta(hours=1))
    owner_conn.run(
        "UPDATE article_views SET led_to_conversation_id = :c WHERE id = :id", c=conversation, id=view_ids[0]
    )
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then half of the views deflected
    assert get(app, url, caller).body["help_center_deflection"]["deflection_rate"] == 50.0


def test_email_messages_ingested_late_for_a_closed_day_show_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a mailbox with one inbound message a week ago, rolled up
    now = calendar_clock.now
    tenant = build.tenant()
    mailbox = build.insert("email_channels", id=uuid.uuid4(), tenant_id=tenant, address="s@t.example", status="active")
    insert = "INSERT INTO email_messages (tenant_id, email_channel_id, direction, sent_at) VALUES (:t, :m, :d, :s)"
    owner_conn.run(insert, t=tenant, m=mailbox, d="inbound", s=now - timedelta(days=7))
    aggregator.run_tenant(aggregator_db, str(tenant))

    # When an outbound message sent that day arrives today and the aggregator runs once
    owner_conn.run(insert, t=tenant, m=mailbox, d="outbound", s=now - timedelta(days=7))
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then both are counted
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    metrics = get(app, f"{BASE}/insights?{_closed_range(now)}", caller).body["email_channel_metrics"]
    assert (metrics["inbound_messages"], metrics["outbound_messages"]) == (1, 1)


def test_whole_days_of_csat_help_center_and_email_are_read_from_the_rollups(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a rolled-up tenant with a response, a view and a message on one day, whose facts we tamper with
    now = calendar_clock.now
    tenant = build.tenant()
    day = (now - timedelta(days=3)).date()
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    build.csat(tenant, build.conversation(tenant, noon), noon, responded_at=noon, rating=3)
    article = build.insert("help_center_articles", id=uuid.uuid4(), tenant_id=tenant, title="A", slug="a",
                           status="published")  # fmt: skip
    owner_conn.run("INSERT INTO article_views (tenant_id, article_id, viewed_at) VALUES (:t, :a, :v)",
                   t=tenant, a=article, v=noon)  # fmt: skip
    mailbox = build.insert("email_channels", id=uuid.uuid4(), tenant_id=tenant, address="s@t.example", status="active")
    owner_conn.run("INSERT INTO email_messages (tenant_id, email_channel_id, direction, sent_at) "
                   "VALUES (:t, :m, 'inbound', :s)", t=tenant, m=mailbox, s=noon)  # fmt: skip
    aggregator.run_tenant(aggregator_db, str(tenant))
    for sql in (
        "UPDATE csat_daily SET responses = 7 WHERE tenant_id = :t",
        "UPDATE article_daily SET views = 7 WHERE tenant_id = :t",
        "UPDATE email_daily SET inbound_messages = 7 WHERE tenant_id = :t AND channel_id IS NOT NULL",
    ):
        owner_conn.run(sql, t=tenant)
    app, caller = functions("conversation_analytics"), caller_for(tenant)

    # When the range covers that whole day, and then only part of it
    whole = get(app, f"{BASE}/insights?date_from={day}&date_to={day}", caller).body
    part = get(app, f"{BASE}/insights?date_from={day}T01:00:00Z&date_to={day}T23:00:00Z", caller).body

    # Then the whole day came from the rollups, the partial day from the rows themselves
    def counts(body: dict[str, Any]) -> tuple[int, int, int]:
        return (body["csat"]["total_responses"], body["help_center_deflection"]["total_views"],
                body["email_channel_metrics"]["inbound_messages"])  # fmt: skip

    assert counts(whole) == (7, 7, 7)
    assert counts(part) == (1, 1, 1)
