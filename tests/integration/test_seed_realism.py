"""Demo data a support manager would believe: survey behaviour, workload spread, local working hours.

The three demo tenants (local.seed.demo), scaled down and over a window that crosses both daylight-saving
changes of spring 2026 (United States 8 March, Europe 29 March). The assertions are properties of real
helpdesks, not the generator's exact numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pg8000.native
import pytest

from aurion.db import connect_params
from local.seed import TenantSpec, delete_tenant, demo_specs, seed_tenant

END = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
DAYS = 60
# Per demo tenant: (conversations, calls) of the scaled-down copy.
SIZES = {"acme": (6_000, 2_500), "globex": (6_000, 0), "initech": (1_000, 0)}
# The calling code of the country of each home time zone.
ZONE_CALLING_CODE = {"America/New_York": "1", "Europe/Berlin": "49", "Asia/Tokyo": "81"}
WORKING_HOURS = range(9, 17)  # hours 09 to 16 (09:00-16:59), local time
ANSWERED_BY = timedelta(days=7)  # surveys sent earlier than this before the end have all their answers in
MIN_SURVEYS = 300  # channels with fewer surveys are too small to have a rate worth asserting
MIN_BAD_RATINGS = 100  # fewer ratings after a bad experience are too few to compare with the others


@dataclass(frozen=True)
class Seeded:
    spec: TenantSpec
    tenant_id: str


@pytest.fixture(scope="module")
def owner(database) -> Iterator[pg8000.native.Connection]:
    conn = pg8000.native.Connection(**connect_params(database.admin_url))
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def tenants(database) -> Iterator[dict[str, Seeded]]:
    seeded = {}
    for demo in demo_specs(END):
        conversations, calls = SIZES[demo.slug]
        spec = replace(
            demo, slug=f"seed-test-real-{demo.slug}", conversations=conversations, calls=calls, days=DAYS, replace=True
        )
        seed_tenant(database.admin_url, spec)
        seeded[demo.slug] = Seeded(spec, str(spec.tenant_id))
    yield seeded
    for tenant in seeded.values():
        delete_tenant(database.admin_url, tenant.spec.slug)


def test_every_demo_tenant_lives_in_the_time_zone_of_most_of_its_contacts(owner, tenants):
    # Given the demo tenants, each with a home time zone
    for slug, tenant in tenants.items():
        # When their contacts' phone numbers are grouped by calling code
        rows = owner.run(
            "SELECT CASE WHEN phone LIKE '+1%' THEN '1' ELSE substr(phone, 2, 2) END, count(*) FROM contacts "
            "WHERE tenant_id = CAST(:t AS uuid) AND phone IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
            t=tenant.tenant_id,
        )
        # Then most numbers are of the home zone's country, and some are from abroad
        code, count = rows[0]
        total = sum(n for _, n in rows)
        assert tenant.spec.time_zone in ZONE_CALLING_CODE, slug
        assert code == ZONE_CALLING_CODE[tenant.spec.time_zone], (slug, rows)
        assert 0.6 <= count / total <= 0.92, (slug, rows)
    # and the three tenants are in three different zones
    assert len({t.spec.time_zone for t in tenants.values()}) == 3


def _by_local_hour(owner, tenant: Seeded, table: str, column: str) -> dict[int, int]:
    rows = owner.run(
        f"SELECT date_part('hour', {column} AT TIME ZONE :zone)::int, count(*) FROM {table} "
        "WHERE tenant_id = CAST(:t AS uuid) GROUP BY 1",
        zone=tenant.spec.time_zone,
        t=tenant.tenant_id,
    )
    return {hour: count for hour, count in rows}


def _per_day_weekday_and_weekend(owner, tenant: Seeded, table: str, column: str) -> tuple[float, float]:
    rows = owner.run(
        f"SELECT date_part('isodow', {column} AT TIME ZONE :zone) >= 6, count(*), "
        f"count(DISTINCT ({column} AT TIME ZONE :zone)::date) FROM {table} "
        "WHERE tenant_id = CAST(:t AS uuid) GROUP BY 1",
        zone=tenant.spec.time_zone,
        t=tenant.tenant_id,
    )
    per_day = {weekend: count / days for weekend, count, days in rows}
    return per_day[False], per_day[True]


@pytest.mark.parametrize(
    ("slug", "table", "column"),
    [
        ("acme", "calls", "started_at"),
        ("acme", "conversations", "created_at"),
        ("globex", "conversations", "created_at"),
        ("initech", "conversations", "created_at"),
    ],
)
def test_traffic_peaks_in_the_tenants_local_working_hours(owner, tenants, slug, table, column):
    # Given a demo tenant whose window crosses a daylight-saving change of its zone
    tenant = tenants[slug]
    # When its calls or conversations are counted per hour and per day of the tenant's local time
    hours = _by_local_hour(owner, tenant, table, column)
    weekday, weekend = _per_day_weekday_and_weekend(owner, tenant, table, column)
    # Then the three busiest hours are working hours, nights are quiet and weekends much quieter than weekdays
    busiest = sorted(hours, key=lambda h: -hours[h])[:3]
    assert set(busiest) <= set(WORKING_HOURS), (slug, table, busiest)
    night = sum(hours.get(h, 0) for h in range(0, 6)) / sum(hours.values())
    assert night < 0.08, (slug, table, night)
    assert weekend < 0.5 * weekday, (slug, table, weekday, weekend)


def test_calls_dip_at_lunch_time(owner, tenants):
    # Given acme's calls, by hour of its local time
    hours = _by_local_hour(owner, tenants["acme"], "calls", "started_at")
    # Then the lunch hour has fewer calls than the late morning and the early afternoon around it
    assert hours[12] < min(hours[10], hours[11], hours[14], hours[15])


def _survey_counts(owner, tenant: Seeded) -> dict[str, tuple[int, int]]:
    """Per channel: (surveys sent long enough before the end to be answered, answered ones)."""
    rows = owner.run(
        "SELECT channel, count(*), count(responded_at) FROM csat_surveys WHERE tenant_id = CAST(:t AS uuid) "
        "AND sent_at < CAST(:answered_by AS timestamptz) GROUP BY 1",
        t=tenant.tenant_id,
        answered_by=tenant.spec.end - ANSWERED_BY,
    )
    return {channel: (sent, answered) for channel, sent, answered in rows}


def test_one_survey_in_ten_to_three_in_ten_is_answered_depending_on_the_channel(owner, tenants):
    for slug, tenant in tenants.items():
        # Given the surveys of a demo tenant that have had a week to be answered
        counts = _survey_counts(owner, tenant)
        # When the answered share is taken per channel (with enough surveys to mean something) and overall
        rates = {channel: answered / sent for channel, (sent, answered) in counts.items() if sent >= MIN_SURVEYS}
        overall = sum(a for _, a in counts.values()) / sum(s for s, _ in counts.values())
        # Then every rate lies in 10-30 %
        assert len(rates) >= (2 if slug == "acme" else 0), (slug, counts)
        assert all(0.10 <= rate <= 0.30 for rate in rates.values()), (slug, rates)
        assert 0.10 <= overall <= 0.30, (slug, overall)
    # and channels differ: over the three tenants, chat is answered clearly more often than email
    pooled: dict[str, list[int]] = {}
    for tenant in tenants.values():
        for channel, (sent, answered) in _survey_counts(owner, tenant).items():
            pooled.setdefault(channel, [0, 0])
            pooled[channel][0] += sent
            pooled[channel][1] += answered
    rate = {channel: answered / sent for channel, (sent, answered) in pooled.items()}
    assert rate["chat"] > rate["email"] + 0.04, rate


def test_some_responses_are_a_comment_without_a_rating(owner, tenants):
    for slug, tenant in tenants.items():
        # Given a demo tenant's answered surveys
        responses, comment_only, empty = owner.run(
            "SELECT count(*), count(*) FILTER (WHERE rating IS NULL AND comment IS NOT NULL), "
            "count(*) FILTER (WHERE rating IS NULL AND comment IS NULL) "
            "FROM csat_surveys WHERE tenant_id = CAST(:t AS uuid) AND responded_at IS NOT NULL",
            t=tenant.tenant_id,
        )[0]
        # Then a small share are a comment only, and none is empty
        assert 0.03 <= comment_only / responses <= 0.2, (slug, comment_only, responses)
        assert empty == 0, slug


def test_ratings_lean_positive_and_drop_after_a_breach_or_an_escalation(owner, tenants):
    # Given the rated responses of the demo tenants, split by whether the conversation went badly
    rows = owner.run(
        "SELECT coalesce(c.escalated OR c.resolved_at > c.resolution_due_at "
        "OR c.first_response_at > c.first_response_due_at, false), "
        "avg(s.rating)::float8, avg((s.rating >= 4)::int)::float8, count(*) "
        "FROM csat_surveys s JOIN conversations c ON c.id = s.conversation_id "
        "WHERE s.tenant_id = ANY (CAST(:tenants AS uuid[])) AND s.rating IS NOT NULL GROUP BY 1",
        tenants="{" + ",".join(t.tenant_id for t in tenants.values()) + "}",
    )
    by_experience = {bad: (avg, positive, count) for bad, avg, positive, count in rows}
    (good_avg, good_positive, _), (bad_avg, bad_positive, bad_count) = by_experience[False], by_experience[True]
    # Then most ratings are 4 or 5 after a smooth experience, and clearly fewer after a breach or an escalation
    assert bad_count >= MIN_BAD_RATINGS, by_experience
    assert 4.0 <= good_avg <= 4.7, by_experience
    assert good_positive >= 0.75, by_experience
    assert bad_avg <= good_avg - 0.6, by_experience
    assert bad_positive <= good_positive - 0.2, by_experience


def test_no_agent_carries_the_team_and_none_sits_idle(owner, tenants):
    for slug, tenant in tenants.items():
        # Given a demo tenant's conversations per agent, by team
        rows = owner.run(
            "SELECT u.team_id::text, count(c.id) FROM users u LEFT JOIN conversations c ON c.assignee_user_id = u.id "
            "WHERE u.tenant_id = CAST(:t AS uuid) AND u.team_id IS NOT NULL GROUP BY u.team_id, u.id",
            t=tenant.tenant_id,
        )
        teams: dict[str, list[int]] = {}
        for team, count in rows:
            teams.setdefault(team, []).append(count)
        # Then within every team each agent handles between a quarter and two and a half times the team's mean
        spread = {}
        for team, counts in teams.items():
            mean = sum(counts) / len(counts)
            spread[team] = (min(counts) / mean, max(counts) / mean)
        assert all(low >= 0.25 and high <= 2.5 for low, high in spread.values()), (slug, spread)
        # and the load is uneven (senior agents take more), not a flat split
        assert max(high for _, high in spread.values()) >= 1.3, (slug, spread)
