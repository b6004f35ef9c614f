"""A small helpdesk whose every metric is worked out by hand in the tests that use it.

Range under test: 2026-03-01 .. 2026-03-08 (UTC). Two teams, two agents, five conversations in range
and one before it. See each test for the arithmetic.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tests.support.builders import Builder, at

RANGE = "date_from=2026-03-01T00:00:00Z&date_to=2026-03-08T23:59:59Z"
FAR_FUTURE = at("2099-01-01 00:00")


@dataclass
class Scenario:
    tenant: uuid.UUID
    tier1: uuid.UUID
    billing: uuid.UUID
    jane: uuid.UUID
    bob: uuid.UUID
    conversations: dict[str, uuid.UUID]
    surveys: dict[str, uuid.UUID]
    articles: dict[str, uuid.UUID]
    channels: dict[str, uuid.UUID]


def build_scenario(build: Builder, *, products: tuple[str, ...] = ("voice", "helpdesk", "knowledge_base")) -> Scenario:
    tenant = build.tenant(products=products)
    tier1, billing = build.team(tenant, "Tier 1"), build.team(tenant, "Billing")
    jane = build.user(tenant, "Jane Doe", team_id=tier1)
    bob = build.user(tenant, "Bob Stone", team_id=billing)

    support = build.insert(
        "email_channels", id=uuid.uuid4(), tenant_id=tenant, address="support@t.example", status="active"
    )
    billing_mail = build.insert(
        "email_channels", id=uuid.uuid4(), tenant_id=tenant, address="billing@t.example", status="inactive"
    )
    articles = {
        "vpn": build.insert(
            "help_center_articles",
            id=uuid.uuid4(),
            tenant_id=tenant,
            title="Reset your VPN client",
            slug="reset-vpn-client",
            status="published",
            published_at=at("2026-01-01 00:00"),
        ),
        "faq": build.insert(
            "help_center_articles",
            id=uuid.uuid4(),
            tenant_id=tenant,
            title="Billing FAQ",
            slug="billing-faq",
            status="published",
            published_at=at("2026-01-01 00:00"),
        ),
        "draft": build.insert(
            "help_center_articles", id=uuid.uuid4(), tenant_id=tenant, title="Draft", slug="draft", status="draft"
        ),
    }

    c = {}
    c["c1"] = build.conversation(
        tenant,
        at("2026-03-02 09:00"),
        channel="email",
        priority="high",
        topic="VPN",
        assignee_user_id=jane,
        team_id=tier1,
        email_channel_id=support,
        first_response_at=at("2026-03-02 09:10"),
        resolved_at=at("2026-03-02 11:00"),
        resolved_by="ai",
        kb_article_id=articles["vpn"],
        first_response_due_at=at("2026-03-02 10:00"),
        resolution_due_at=at("2026-03-02 17:00"),
    )
    c["c2"] = build.conversation(
        tenant,
        at("2026-03-02 10:00"),
        channel="chat",
        priority="medium",
        topic="VPN",
        assignee_user_id=bob,
        team_id=billing,
        first_response_at=at("2026-03-02 10:30"),
        resolved_at=at("2026-03-02 14:00"),
        resolved_by="human",
        escalated=True,
        first_response_due_at=at("2026-03-02 10:15"),
        resolution_due_at=at("2026-03-02 12:00"),
    )
    c["c3"] = build.conversation(
        tenant,
        at("2026-03-03 14:00"),
        channel="email",
        priority="medium",
        topic="Billing",
        assignee_user_id=jane,
        team_id=tier1,
        email_channel_id=support,
        first_response_due_at=at("2026-03-03 15:00"),
        resolution_due_at=at("2026-03-04 14:00"),
    )
    c["c4"] = build.conversation(
        tenant,
        at("2026-03-04 14:30"),
        channel="voice",
        priority="low",
        first_response_at=at("2026-03-04 14:35"),
        resolved_at=at("2026-03-04 15:30"),
        resolved_by="ai",
    )
    c["c5"] = build.conversation(
        tenant,
        at("2026-03-05 08:00"),
        channel="email",
        priority="urgent",
        topic="Billing",
        assignee_user_id=bob,
        team_id=billing,
        email_channel_id=billing_mail,
        first_response_at=at("2026-03-05 08:20"),
        first_response_due_at=at("2026-03-05 08:15"),
        resolution_due_at=FAR_FUTURE,
    )
    c["before"] = build.conversation(
        tenant,
        at("2026-02-20 09:00"),
        channel="sms",
        priority="urgent",
        topic="VPN",
        assignee_user_id=jane,
        team_id=tier1,
        first_response_at=at("2026-02-20 12:00"),
        resolved_at=at("2026-02-21 09:00"),
        resolved_by="human",
        escalated=True,
        first_response_due_at=at("2026-02-20 09:15"),
        resolution_due_at=at("2026-02-20 13:00"),
    )

    s = {}
    s["s1"] = build.csat(
        tenant, c["c1"], at("2026-03-02 11:05"), responded_at=at("2026-03-02 12:00"), rating=5, comment="Great"
    )
    s["s2"] = build.csat(
        tenant, c["c2"], at("2026-03-02 14:05"), responded_at=at("2026-03-03 09:00"), rating=2, channel="chat"
    )
    s["s3"] = build.csat(
        tenant, c["c4"], at("2026-03-04 15:35"), responded_at=at("2026-03-04 16:00"), rating=4, channel="voice"
    )
    s["s4"] = build.csat(
        tenant, c["c3"], at("2026-03-03 15:00"), responded_at=at("2026-03-05 10:00"), comment="Still waiting"
    )
    s["unanswered"] = build.csat(tenant, c["c1"], at("2026-03-06 10:00"))
    s["before"] = build.csat(tenant, c["before"], at("2026-02-21 09:05"), responded_at=at("2026-02-25 10:00"), rating=1)

    def view(article: str, when: str, led_to: uuid.UUID | None = None) -> None:
        build.conn.run(
            "INSERT INTO article_views (tenant_id, article_id, viewed_at, led_to_conversation_id) "
            "VALUES (:t, :a, :v, :l)",
            t=tenant,
            a=articles[article],
            v=at(when),
            l=led_to,
        )

    def feedback(article: str, when: str, helpful: bool) -> None:
        build.conn.run(
            "INSERT INTO article_feedback (tenant_id, article_id, helpful, created_at) VALUES (:t, :a, :h, :c)",
            t=tenant,
            a=articles[article],
            h=helpful,
            c=at(when),
        )

    view("vpn", "2026-03-02 08:00")
    view("vpn", "2026-03-02 09:30", led_to=c["c2"])
    view("vpn", "2026-03-06 12:00")
    view("faq", "2026-03-07 12:00")
    view("faq", "2026-02-10 12:00")
    feedback("vpn", "2026-03-02 08:05", True)
    feedback("vpn", "2026-03-03 08:05", True)
    feedback("vpn", "2026-03-04 08:05", False)
    feedback("faq", "2026-03-07 12:05", True)
    feedback("faq", "2026-02-10 12:05", False)

    def message(channel: uuid.UUID, direction: str, when: str) -> None:
        build.conn.run(
            "INSERT INTO email_messages (tenant_id, email_channel_id, conversation_id, direction, sent_at) "
            "VALUES (:t, :ch, :c, :d, :s)",
            t=tenant,
            ch=channel,
            c=c["c1"],
            d=direction,
            s=at(when),
        )

    message(support, "inbound", "2026-03-02 09:00")
    message(support, "outbound", "2026-03-02 09:10")
    message(billing_mail, "inbound", "2026-03-05 08:00")
    message(support, "inbound", "2026-02-20 09:00")

    for bounced, complained in [("2026-03-03 10:00", None), (None, "2026-03-04 10:00"), ("2026-02-01 10:00", None)]:
        build.insert(
            "contacts",
            id=uuid.uuid4(),
            tenant_id=tenant,
            name="Contact",
            email="someone@example.com",
            email_bounced_at=at(bounced) if bounced else None,
            email_complained_at=at(complained) if complained else None,
        )

    if "voice" in products:
        build.call(tenant, at("2026-03-02 09:00"), duration_seconds=120, first_call_resolution=True, outcome="resolved")
        build.call(tenant, at("2026-03-03 11:00"), duration_seconds=300, outcome="ticket_created")
        build.call(tenant, at("2026-03-04 12:00"), duration_seconds=0, status="failed", outcome="abandoned")
        build.call(tenant, at("2026-02-10 12:00"), duration_seconds=60, outcome="escalated")

    return Scenario(
        tenant=tenant,
        tier1=tier1,
        billing=billing,
        jane=jane,
        bob=bob,
        conversations=c,
        surveys=s,
        articles=articles,
        channels={"support": support, "billing": billing_mail},
    )
