"""Conversation rollups: answers read through them equal the raw answers, and they follow late changes.

The reference is the same endpoint before the aggregator ever ran for the tenant: with no rollup state every
range is read from raw rows. Random data and random ranges, then one aggregator run, then the same requests.
Every test that reads "now" runs on a fixed clock, once per calendar edge (tests/support/clock.py).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from aurion.rollups import aggregator
from aurion.rollups.conversations import MEDIAN_RELATIVE_ERROR, MEDIAN_ROUNDING_MINUTES
from tests.support.api import caller_for, get
from tests.support.clock import freeze
from tests.support.transactions import one_transaction

OVERVIEW = "/api/v2/analytics/conversations/overview"
SLA = "/api/v2/analytics/conversations/sla-compliance"
RESOLUTION = "/api/v2/analytics/conversations/resolution-rates"
INSIGHTS = "/api/v2/analytics/conversations/insights"
HEALTH_TIMINGS = "aggregation_health"
CONVERSATIONS = next(family for family in aggregator.FAMILIES if family.name == "conversations")

CHANNELS = ("email", "chat", "voice", "whatsapp", "sms", "web")
PRIORITIES = ("urgent", "high", "medium", "low")
TOPICS = ("billing", "login", "shipping", "refund", None)


def build_random_tenant(build, rng: random.Random, now: datetime, conversations_count: int = 200) -> dict[str, Any]:
    tenant = build.tenant()
    teams = [build.team(tenant, f"Team {i}") for i in range(3)]
    agents = [build.user(tenant, f"Agent {i}", team_id=teams[i % 3]) for i in range(5)]
    for _ in range(conversations_count):
        created = now - timedelta(seconds=rng.randint(0, 40 * 86400))
        fields: dict[str, Any] = {
            "channel": rng.choice(CHANNELS),
            "priority": rng.choice(PRIORITIES),
            "topic": rng.choice(TOPICS),
            "escalated": rng.random() < 0.15,
        }
        if rng.random() < 0.9:
            fields["team_id"] = rng.choice(teams)
        if rng.random() < 0.85:
            fields["assignee_user_id"] = rng.choice(agents)
        if rng.random() < 0.8:
            fields["first_response_at"] = min(created + timedelta(seconds=rng.randint(0, 4 * 3600)), now)
        if rng.random() < 0.7:
            fields["resolved_at"] = min(created + timedelta(seconds=int(rng.lognormvariate(8, 1.5))), now)
            fields["resolved_by"] = rng.choice(("ai", "human"))
        if rng.random() < 0.8:
            fields["first_response_due_at"] = created + timedelta(minutes=rng.randint(5, 240))
            fields["resolution_due_at"] = created + timedelta(hours=rng.randint(1, 72))
        build.conversation(tenant, created, **fields)
    return {"tenant": tenant, "teams": teams}


def random_ranges(rng: random.Random, now: datetime, count: int) -> list[str]:
    queries = [f"date_from={(now - timedelta(days=39)).date()}&date_to={now.date()}"]
    for _ in range(count):
        start = now - timedelta(seconds=rng.randint(0, 42 * 86400))
        end = start + timedelta(seconds=rng.randint(3600, 30 * 86400))
        if rng.random() < 0.4:  # whole days
            queries.append(f"date_from={start.date()}&date_to={min(end, now).date()}")
        else:
            queries.append(
                f"date_from={start.strftime('%Y-%m-%dT%H:%M:%S')}Z&date_to={end.strftime('%Y-%m-%dT%H:%M:%S')}Z"
            )
    return queries


def answers(functions, tenant, teams, queries: list[str]) -> dict[str, Any]:
    app = functions("conversation_analytics")
    caller = caller_for(tenant, "tenant_admin")
    results: dict[str, Any] = {}
    for query in queries:
        for path in (OVERVIEW, SLA, RESOLUTION, f"{RESOLUTION}?team_id={teams[0]}", INSIGHTS):
            url = f"{path}{'&' if '?' in path else '?'}{query}"
            response = get(app, url, caller)
            assert response.status == 200, (url, response.body)
            body = response.body
            if path == INSIGHTS:
                body = {key: value for key, value in body.items() if key != HEALTH_TIMINGS}
            results[url] = body
    return results


def assert_same_answers(raw: dict[str, Any], rolled: dict[str, Any]) -> None:
    for url, expected in raw.items():
        actual = rolled[url]
        if url.startswith(OVERVIEW):
            exact, estimate = expected.pop("resolution_minutes_median"), actual.pop("resolution_minutes_median")
            assert (exact is None) == (estimate is None), url
            if exact is not None:
                bound = MEDIAN_RELATIVE_ERROR * exact + MEDIAN_ROUNDING_MINUTES
                assert abs(estimate - exact) <= bound, (url, exact, estimate)
        assert actual == expected, url


def test_rollup_backed_answers_equal_the_raw_answers_for_random_data_and_ranges(
    functions, build, aggregator_db, calendar_clock
):
    # Given random conversations over the 40 days before the clock, and the answers read raw (no aggregator run
    # yet); some unanswered ones past due, some not yet
    rng = random.Random(20261128)
    now = calendar_clock.now
    with one_transaction(build.conn):
        data = build_random_tenant(build, rng, now)
    queries = random_ranges(rng, now, 3)
    raw = answers(functions, data["tenant"], data["teams"], queries)

    # When the aggregator rolls the tenant's closed days up
    result = aggregator.run_tenant(aggregator_db, str(data["tenant"]))
    assert not result.skipped
    # 40 days back from any time of day: at least the 39 whole days before today
    assert result.days_rebuilt >= 39

    # Then every answer is the same (the median within its stated error)
    assert_same_answers(raw, answers(functions, data["tenant"], data["teams"], queries))


def test_whole_days_of_a_range_are_read_from_the_rollup(functions, build, owner_conn, aggregator_db, calendar_clock):
    # Given a rolled-up tenant whose rollup for one day we tamper with
    tenant = build.tenant()
    day = calendar_clock.today - timedelta(days=3)
    build.conversation(tenant, datetime.combine(day, time(10), tzinfo=UTC))
    aggregator.run_tenant(aggregator_db, str(tenant))
    owner_conn.run("UPDATE conversation_daily SET conversations = 1000 WHERE tenant_id = :t AND dim = 'all'", t=tenant)
    app, caller = functions("conversation_analytics"), caller_for(tenant)

    # When the overview covers that whole day, and then only part of it
    whole = get(app, f"{OVERVIEW}?date_from={day}&date_to={day}", caller).body
    part = get(app, f"{OVERVIEW}?date_from={day}T01:00:00Z&date_to={day}T23:00:00Z", caller).body

    # Then the whole day came from the rollup, the partial day from the conversations themselves
    assert whole["total_conversations"] == 1000
    assert part["total_conversations"] == 1


def test_a_late_resolution_of_an_old_conversation_shows_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a conversation opened ten days ago, still open when the rollups were built
    now = calendar_clock.now
    tenant = build.tenant()
    opened = now - timedelta(days=10)
    conversation = build.conversation(tenant, opened, resolution_due_at=opened + timedelta(days=30))
    aggregator.run_tenant(aggregator_db, str(tenant))
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    url = f"{OVERVIEW}?date_from={(now - timedelta(days=20)).date()}&date_to={(now - timedelta(days=2)).date()}"
    assert get(app, url, caller).body["ai_resolved_count"] == 0

    # When the AI resolves it now (the database stamps the write with its own, real time) and the aggregator runs
    # once
    owner_conn.run(
        "UPDATE conversations SET resolved_at = :now, resolved_by = 'ai', status = 'resolved' WHERE id = :id",
        now=now, id=conversation,
    )  # fmt: skip
    result = aggregator.run_tenant(aggregator_db, str(tenant))

    # Then only that day was rebuilt, and the next answer counts the resolution
    assert result.days_rebuilt == 1
    body = get(app, url, caller).body
    assert body["ai_resolved_count"] == 1
    assert body["resolution_minutes_median"] == pytest.approx(10 * 24 * 60, rel=MEDIAN_RELATIVE_ERROR)


def test_repeated_runs_and_a_full_rebuild_write_the_same_facts(build, owner_conn, aggregator_db, calendar_clock):
    # Given a rolled-up tenant
    now = calendar_clock.now
    tenant = build.tenant()
    for days_ago in (1, 5, 9):
        build.conversation(tenant, now - timedelta(days=days_ago), first_response_at=now - timedelta(days=days_ago))
    aggregator.run_tenant(aggregator_db, str(tenant))
    snapshot = "SELECT * FROM conversation_daily WHERE tenant_id = :t ORDER BY dim, day, key"
    before = owner_conn.run(snapshot, t=tenant)

    # When it runs again, and once more from scratch (state dropped)
    again = aggregator.run_tenant(aggregator_db, str(tenant))
    after_again = owner_conn.run(snapshot, t=tenant)
    owner_conn.run("DELETE FROM rollup_state WHERE tenant_id = :t", t=tenant)
    rebuilt = aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the repeat redid only the three days written within the look-back margin, the full rebuild every
    # day up to yesterday, and the facts are the same each time
    assert again.days_rebuilt == 3
    assert rebuilt.days_rebuilt == 9
    assert after_again == before
    assert owner_conn.run(snapshot, t=tenant) == before


@pytest.mark.parametrize(
    "moment",
    [datetime(2024, 6, 12, 9, 0, tzinfo=UTC), datetime(2096, 2, 29, 0, 15, tzinfo=UTC)],
    ids=["clock-behind-the-database", "clock-ahead-of-the-database"],
)
def test_a_run_finds_writes_by_the_databases_clock_whatever_its_own_clock_says(
    build, owner_conn, aggregator_db, monkeypatch, moment
):
    # Given a tenant with conversations on three days, written an hour ago by the database's clock, rolled up by
    # an aggregator whose clock is years away from the database's
    clock = freeze(monkeypatch, moment)
    tenant = build.tenant()
    written = owner_conn.run("SELECT now() - interval '1 hour'")[0][0]
    ids = [build.conversation(tenant, clock.now - timedelta(days=back), updated_at=written) for back in (1, 5, 9)]
    first = aggregator.run_tenant(aggregator_db, str(tenant))

    # When one of them is resolved (the database stamps the write) and the aggregator runs again
    owner_conn.run("UPDATE conversations SET resolved_at = :now, resolved_by = 'ai' WHERE id = :id",
                   now=clock.now, id=ids[1])  # fmt: skip
    again = aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the first run rebuilt the nine days up to yesterday by its clock, the second only the day written
    assert (first.days_rebuilt, again.days_rebuilt) == (9, 1)
    # And the state holds the run's clock as as_of and the database's time as what it has seen written
    state = owner_conn.run(
        "SELECT rolled_until, as_of, now() - changes_seen_until < interval '1 minute' FROM rollup_state "
        "WHERE tenant_id = :t",
        t=tenant,
    )
    assert state == [[clock.today, clock.now, True]]


def test_a_second_aggregator_run_skips_a_tenant_that_is_being_aggregated(build, owner_conn, aggregator_db):
    # Given another run holding the tenant's aggregation lock
    tenant = build.tenant()
    key = "hashtextextended('aurion-rollup:' || :t, 0)"
    owner_conn.run(f"SELECT pg_advisory_lock({key})", t=str(tenant))
    try:
        # When the aggregator runs
        result = aggregator.run_tenant(aggregator_db, str(tenant))
    finally:
        owner_conn.run(f"SELECT pg_advisory_unlock({key})", t=str(tenant))

    # Then it skipped the tenant and wrote no state
    assert result.skipped
    assert owner_conn.run("SELECT count(*) FROM rollup_state WHERE tenant_id = :t", t=tenant) == [[0]]


def test_a_deadline_passing_without_any_write_marks_its_day_for_rebuilding(build, aggregator_db, calendar_clock):
    # Given an unanswered conversation whose first-response deadline passed a minute ago
    now = calendar_clock.now
    tenant = build.tenant()
    created = now - timedelta(days=4)
    build.conversation(tenant, created, first_response_due_at=now - timedelta(minutes=1))
    # When the aggregator asks which days changed, with no write since (changed_since is in the future)
    with aggregator_db.transaction(str(tenant)) as tx:
        days = CONVERSATIONS.dirty_days(
            tx, str(tenant), changed_since=now + timedelta(hours=1), due_since=now - timedelta(minutes=5), as_of=now
        )

    # Then the day the conversation was created in is among them
    assert days == {created.date()}


def test_a_conversation_is_past_due_by_the_clock_in_raw_and_in_rolled_up_answers(
    functions, build, aggregator_db, calendar_clock
):
    # Given an unanswered conversation opened three days ago whose first response is due in an hour
    tenant = build.tenant()
    opened = calendar_clock.now - timedelta(days=3)
    build.conversation(tenant, opened, first_response_due_at=calendar_clock.now + timedelta(hours=1))
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    url = f"{SLA}?date_from={opened.date()}&date_to={opened.date()}"

    def breached() -> int:
        return get(app, url, caller).body["first_response"]["breached"]

    not_yet = breached()

    # When the clock moves two hours on (read raw), and then the aggregator runs (read from the rollup)
    calendar_clock.advance(hours=2)
    raw = breached()
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the deadline passed by the clock, not by the machine's date, in both
    assert (not_yet, raw, breached()) == (0, 1, 1)


def test_the_aggregator_visits_every_tenant(build, aggregator_db, owner_conn, clock):
    # Given two tenants with data
    tenants = [build.tenant() for _ in range(2)]
    for tenant in tenants:
        build.conversation(tenant, clock.now - timedelta(days=2))

    # When the scheduled run goes over all tenants
    results = {result.tenant_id: result for result in aggregator.run_all(aggregator_db)}

    # Then both were rolled up, each under its own state row
    for tenant in tenants:
        assert str(tenant) in results
        assert not results[str(tenant)].skipped
    rows = owner_conn.run("SELECT tenant_id::text FROM rollup_state WHERE tenant_id = ANY(CAST(:ids AS uuid[]))",
                          ids=[str(t) for t in tenants])  # fmt: skip
    assert sorted(row[0] for row in rows) == sorted(str(t) for t in tenants)


def test_tenant_ids_come_through_the_aggregator_function_only(aggregator_db):
    # The app role cannot list tenants itself (RLS); the SECURITY DEFINER door lists ids, nothing else.
    ids = aggregator.tenant_ids(aggregator_db)
    assert ids
    assert all(uuid.UUID(value) for value in ids)
