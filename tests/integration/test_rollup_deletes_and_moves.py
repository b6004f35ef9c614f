"""Rollups stay exact when a row is deleted or its placing time moves to another day (migration 0014).

updated_at shows where a row is now; a deleted row is nowhere, and a moved one left its facts on its old day. Each
test rolls a small hand-built tenant up, deletes or moves one row, runs the aggregator once, and reads whole days
(which come from the rollups): the counts are the ones worked out by hand, and the same as a raw read (the tenant's
rollup state dropped, so every range is read from the rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from aurion.rollups import aggregator
from tests.support.api import caller_for, get

BASE = "/api/v2/analytics/conversations"
V1 = "/api/v1/analytics"


@dataclass(frozen=True)
class Kind:
    """One kind of row: how to write one placed at a moment, its table and placing column, and the count a
    whole day's answer shows for it."""

    table: str
    placing: str
    write: Callable[[Any, Any, uuid.UUID, datetime], Any]
    count: Callable[[Any, uuid.UUID, date], int]


# Rows are written as if an hour ago by the database's clock (updated_at), so that no later run finds their day
# through updated_at within its look-back margin: only a deletion or a move can mark it.


def _written(conn):
    return conn.run("SELECT now() - interval '1 hour'")[0][0]


def _conversation(build, conn, tenant, at):
    return build.conversation(tenant, at, updated_at=_written(conn))


def _call(build, conn, tenant, at):
    return build.call(tenant, at, updated_at=_written(conn))


def _survey(build, conn, tenant, at):
    conversation = build.conversation(tenant, at, updated_at=_written(conn))
    return build.csat(tenant, conversation, at, responded_at=at, rating=4, updated_at=_written(conn))


def _article_view(build, conn, tenant, at):
    article = build.insert("help_center_articles", id=uuid.uuid4(), tenant_id=tenant, title="VPN",
                           slug=f"vpn-{uuid.uuid4().hex[:8]}", status="published")  # fmt: skip
    sql = ("INSERT INTO article_views (tenant_id, article_id, viewed_at, updated_at) "
           "VALUES (:t, :a, :v, now() - interval '1 hour') RETURNING id")  # fmt: skip
    return conn.run(sql, t=tenant, a=article, v=at)[0][0]


def _email_message(build, conn, tenant, at):
    mailbox = build.insert("email_channels", id=uuid.uuid4(), tenant_id=tenant, address="s@t.example", status="active")
    sql = ("INSERT INTO email_messages (tenant_id, email_channel_id, direction, sent_at, updated_at) "
           "VALUES (:t, :m, 'inbound', :s, now() - interval '1 hour') RETURNING id")  # fmt: skip
    return conn.run(sql, t=tenant, m=mailbox, s=at)[0][0]


def _insights(functions, tenant, day):
    return get(functions("conversation_analytics"), f"{BASE}/insights?date_from={day}&date_to={day}",
               caller_for(tenant)).body  # fmt: skip


KINDS = {
    "conversation": Kind(
        "conversations", "created_at", _conversation,
        lambda functions, tenant, day: get(functions("conversation_analytics"),
                                           f"{BASE}/overview?date_from={day}&date_to={day}",
                                           caller_for(tenant)).body["total_conversations"],
    ),
    # call_hourly: the hours of a whole UTC day
    "call": Kind(
        "calls", "started_at", _call,
        lambda functions, tenant, day: get(functions("voice_analytics"),
                                           f"{V1}/call-metrics?start_date={day}&end_date={day}&tz=UTC",
                                           caller_for(tenant)).body["kpis"]["total_calls"],
    ),
    "csat survey": Kind(
        "csat_surveys", "responded_at", _survey,
        lambda functions, tenant, day: _insights(functions, tenant, day)["csat"]["total_responses"],
    ),
    "article view": Kind(
        "article_views", "viewed_at", _article_view,
        lambda functions, tenant, day: _insights(functions, tenant, day)["help_center_deflection"]["total_views"],
    ),
    "email message": Kind(
        "email_messages", "sent_at", _email_message,
        lambda functions, tenant, day: _insights(functions, tenant, day)["email_channel_metrics"]["inbound_messages"],
    ),
}  # fmt: skip


def _rolled_tenant(build, owner_conn, aggregator_db, kind: Kind, now: datetime):
    """A tenant with two rows of the kind on one closed day and one on another, rolled up."""
    tenant = build.tenant()
    first, second = now.date() - timedelta(days=6), now.date() - timedelta(days=3)
    ten, eleven = (datetime.combine(first, time(hour), tzinfo=UTC) for hour in (10, 11))
    rows = [kind.write(build, owner_conn, tenant, moment) for moment in (ten, eleven)]
    kind.write(build, owner_conn, tenant, datetime.combine(second, time(15), tzinfo=UTC))
    aggregator.run_tenant(aggregator_db, str(tenant))
    return tenant, first, second, rows


def _raw_counts(functions, owner_conn, kind: Kind, tenant, days: list[date]) -> list[int]:
    """The same answers read from the rows themselves: without a rollup state, every range is read raw."""
    owner_conn.run("DELETE FROM rollup_state WHERE tenant_id = :t", t=tenant)
    return [kind.count(functions, tenant, day) for day in days]


@pytest.mark.parametrize("name", list(KINDS))
def test_a_deleted_row_leaves_its_rolled_up_day_after_one_aggregator_run(
    name, functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given two rows of the kind on one closed day and one on another, rolled up
    kind = KINDS[name]
    tenant, first, second, rows = _rolled_tenant(build, owner_conn, aggregator_db, kind, calendar_clock.now)
    assert [kind.count(functions, tenant, day) for day in (first, second)] == [2, 1]

    # When one row of the first day is deleted and the aggregator runs once
    owner_conn.run(f"DELETE FROM {kind.table} WHERE id = :id", id=rows[0])
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then whole-day answers count what is left, as a raw read does
    counts = [kind.count(functions, tenant, day) for day in (first, second)]
    assert counts == [1, 1]
    assert _raw_counts(functions, owner_conn, kind, tenant, [first, second]) == counts


@pytest.mark.parametrize("name", list(KINDS))
def test_a_row_whose_placing_time_moves_to_another_day_counts_on_its_new_day_only_after_one_aggregator_run(
    name, functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given two rows of the kind on one closed day and one on another, rolled up
    kind = KINDS[name]
    tenant, first, second, rows = _rolled_tenant(build, owner_conn, aggregator_db, kind, calendar_clock.now)

    # When one row of the first day is corrected to the second day and the aggregator runs once
    moved = datetime.combine(second, time(9), tzinfo=UTC)
    owner_conn.run(f"UPDATE {kind.table} SET {kind.placing} = :at WHERE id = :id", at=moved, id=rows[0])
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then each day counts the rows it holds now, as a raw read does
    counts = [kind.count(functions, tenant, day) for day in (first, second)]
    assert counts == [1, 2]
    assert _raw_counts(functions, owner_conn, kind, tenant, [first, second]) == counts


def test_a_deleted_conversation_takes_its_csat_response_off_the_responses_day_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a response answered two days after its conversation opened, rolled up
    now = calendar_clock.now
    tenant = build.tenant()
    opened = datetime.combine(now.date() - timedelta(days=8), time(10), tzinfo=UTC)
    answered = opened + timedelta(days=2)
    conversation = build.conversation(tenant, opened, updated_at=_written(owner_conn))
    build.csat(tenant, conversation, opened, responded_at=answered, rating=2, updated_at=_written(owner_conn))
    aggregator.run_tenant(aggregator_db, str(tenant))
    csat = KINDS["csat survey"]
    assert csat.count(functions, tenant, answered.date()) == 1

    # When the conversation is deleted (its survey stays: the helpdesk deletes it on its own) and the aggregator runs
    owner_conn.run("DELETE FROM conversations WHERE id = :id", id=conversation)
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the response's day no longer counts it (a response counts through its conversation), as a raw read does
    assert csat.count(functions, tenant, answered.date()) == 0
    assert _raw_counts(functions, owner_conn, csat, tenant, [answered.date()]) == [0]


def test_an_llm_request_deleted_takes_its_tokens_off_its_calls_day_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a call nine days ago whose LLM request came a day later, rolled up
    now = calendar_clock.now
    tenant = build.tenant(products=("voice",))
    started = datetime.combine(now.date() - timedelta(days=9), time(9, 30), tzinfo=UTC)
    call = build.call(tenant, started, updated_at=_written(owner_conn))
    request = owner_conn.run(
        "INSERT INTO llm_usage (tenant_id, call_id, provider, model, requested_at, input_tokens, output_tokens, "
        "latency_ms, updated_at) VALUES (:t, :c, 'groq', 'llama', :r, 300, 100, 50, now() - interval '1 hour') "
        "RETURNING id",
        t=tenant, c=call, r=started + timedelta(days=1),
    )[0][0]  # fmt: skip
    aggregator.run_tenant(aggregator_db, str(tenant))
    voice, caller = functions("voice_analytics"), caller_for(tenant)
    url = f"{V1}/usage-patterns?start_date={started.date()}&end_date={started.date()}&tz=UTC"
    assert get(voice, url, caller).body["avg_tokens_per_call"] == 400.0

    # When the request is deleted and the aggregator runs once
    owner_conn.run("DELETE FROM llm_usage WHERE id = :id", id=request)
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the call's day has no tokens left, as a raw read says
    assert get(voice, url, caller).body["avg_tokens_per_call"] == 0.0
    owner_conn.run("DELETE FROM rollup_state WHERE tenant_id = :t", t=tenant)
    assert get(voice, url, caller).body["avg_tokens_per_call"] == 0.0


def test_the_aggregator_forgets_moved_days_it_will_not_read_again(build, owner_conn, aggregator_db, calendar_clock):
    # Given a rolled-up tenant whose conversation was deleted, noted an hour ago by the database's clock
    tenant = build.tenant()
    conversation = build.conversation(tenant, calendar_clock.now - timedelta(days=4))
    aggregator.run_tenant(aggregator_db, str(tenant))
    owner_conn.run("DELETE FROM conversations WHERE id = :id", id=conversation)
    owner_conn.run("UPDATE rollup_moved_days SET changed_at = now() - interval '1 hour' WHERE tenant_id = :t",
                   t=tenant)  # fmt: skip

    # When the aggregator runs
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the note older than the run's look-back margin is gone
    assert owner_conn.run("SELECT count(*) FROM rollup_moved_days WHERE tenant_id = :t", t=tenant) == [[0]]
