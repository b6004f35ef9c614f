"""Rows that arrive before what they refer to are rolled up like any other (migration 0012 dropped the foreign
keys that would have refused them, in the raw tables and in the rollups)."""

from __future__ import annotations

from aurion.db import Database
from aurion.ingest.consumer import consume
from aurion.rollups import aggregator
from tests.support.api import caller_for, get
from tests.support.ingest_events import HelpdeskEvents, messages

INSIGHTS = "/api/v2/analytics/conversations/insights?date_from=2025-03-01&date_to=2025-03-31"


def test_views_and_mail_of_an_article_and_mailbox_not_arrived_yet_are_rolled_up_and_named_once_they_arrive(
    app_env, aggregator_db, build, functions
):
    # Given views and feedback of an article, and mail of a mailbox, that analytics has not received yet
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    article, mailbox = events.article(title="Reset a password"), events.email_channel(address="help@example.com")
    article_id, mailbox_id = article["data"]["id"], mailbox["data"]["id"]
    early = [
        events.article_view(article_id, viewed_at="2025-03-03T09:00:00Z"),
        events.article_view(article_id, viewed_at="2025-03-04T09:00:00Z"),
        events.article_feedback(article_id, helpful=True),
        events.email_message(mailbox_id, direction="inbound", sent_at="2025-03-03T10:00:00Z"),
    ]
    db = Database(app_env.database.app_url, statement_timeout_ms=10_000, connect_timeout_s=3)
    try:
        assert consume(db, messages(early)).applied == 4
        # When the aggregator rolls those days up
        result = aggregator.run_tenant(aggregator_db, str(tenant))
        # Then it succeeds, and the rolled-up days count them
        assert not result.skipped
        insights = get(functions("conversation_analytics"), INSIGHTS, caller_for(tenant)).body
        assert insights["help_center_deflection"]["total_views"] == 2
        assert insights["email_channel_metrics"]["inbound_messages"] == 1
        # And once the article and the mailbox arrive, the same rolled-up facts carry their names
        consume(db, messages([article, mailbox]))
    finally:
        db.close()
    insights = get(functions("conversation_analytics"), INSIGHTS, caller_for(tenant)).body
    top = insights["help_center_deflection"]["top_articles"]
    assert [(a["title"], a["view_count"], a["helpful_count"]) for a in top] == [("Reset a password", 2, 1)]
    assert [c["address"] for c in insights["email_channel_metrics"]["by_channel"]] == ["help@example.com"]
