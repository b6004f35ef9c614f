"""The monthly resolution histograms (migration 0021): always the sums of their days, read for a range's whole months.

A long range's median merges one row per month and bucket instead of one per day and bucket; the answers must be
the ones the daily rows give, after a first rebuild and after late changes to a day of a month.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from aurion.rollups import aggregator
from aurion.rollups.conversations import HISTOGRAM_MEDIAN_SQL, next_month, whole_months
from tests.support.api import caller_for, get
from tests.support.transactions import one_transaction

OVERVIEW = "/api/v2/analytics/conversations/overview"

MONTHS_AS_DAY_SUMS_SQL = """
SELECT count(*) FROM (
    (SELECT month, bucket, n FROM conversation_resolution_histogram_monthly WHERE tenant_id = :t
     EXCEPT ALL
     SELECT date_trunc('month', day)::date, bucket, sum(n)::int FROM conversation_resolution_histogram
     WHERE tenant_id = :t GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('month', day)::date, bucket, sum(n)::int FROM conversation_resolution_histogram
     WHERE tenant_id = :t GROUP BY 1, 2
     EXCEPT ALL
     SELECT month, bucket, n FROM conversation_resolution_histogram_monthly WHERE tenant_id = :t)
) AS differences
"""


def resolved_conversations(build, tenant, rng: random.Random, now: datetime, count: int) -> list:
    ids = []
    for _ in range(count):
        created = now - timedelta(seconds=rng.randint(2 * 86400, 80 * 86400))
        resolved = created + timedelta(seconds=int(rng.lognormvariate(8, 1.5)))
        ids.append(build.conversation(tenant, created, resolved_at=min(resolved, now), resolved_by="human"))
    return ids


def months_differing_from_their_days(owner_conn, tenant) -> int:
    return owner_conn.run(MONTHS_AS_DAY_SUMS_SQL, t=tenant)[0][0]


def test_whole_months_are_the_calendar_months_inside_the_days():
    # A range from mid-month to mid-month holds the months between; one inside a month holds none
    assert whole_months(date(2026, 1, 15), date(2026, 4, 10)) == (date(2026, 2, 1), date(2026, 4, 1))
    assert whole_months(date(2026, 1, 1), date(2026, 2, 1)) == (date(2026, 1, 1), date(2026, 2, 1))
    assert whole_months(date(2026, 1, 2), date(2026, 1, 31)) == (date(2026, 1, 31), date(2026, 1, 31))
    assert whole_months(date(2025, 11, 1), date(2026, 11, 1)) == (date(2025, 11, 1), date(2026, 11, 1))
    assert next_month(date(2026, 12, 31)) == date(2027, 1, 1)


def test_each_month_is_the_sum_of_its_days_after_a_rebuild_and_after_late_changes(
    build, owner_conn, aggregator_db, calendar_clock
):
    # Given conversations resolved over the 80 days before the clock, rolled up
    rng = random.Random(20261207)
    now = calendar_clock.now
    tenant = build.tenant()
    with one_transaction(build.conn):
        ids = resolved_conversations(build, tenant, rng, now, 300)
    aggregator.run_tenant(aggregator_db, str(tenant))
    assert owner_conn.run("SELECT count(*) FROM conversation_resolution_histogram_monthly WHERE tenant_id = :t",
                          t=tenant)[0][0] > 0  # fmt: skip
    assert months_differing_from_their_days(owner_conn, tenant) == 0

    # When one conversation of an old day resolves much later, another is deleted, and the aggregator runs again
    owner_conn.run("UPDATE conversations SET resolved_at = resolved_at + interval '9 days' WHERE id = :id", id=ids[0])
    owner_conn.run("DELETE FROM conversations WHERE id = :id", id=ids[1])
    result = aggregator.run_tenant(aggregator_db, str(tenant))

    # Then the days were rebuilt and every month still sums them exactly
    assert result.days_rebuilt >= 1
    assert months_differing_from_their_days(owner_conn, tenant) == 0


def test_a_range_reads_its_whole_months_from_the_monthly_rows(functions, build, owner_conn, aggregator_db, clock):
    # Given one conversation resolved in 10 minutes on a day of last month, rolled up, and that month's
    # monthly row moved to a 10-day bucket (the daily rows left alone)
    tenant = build.tenant()
    month = next_month(clock.today.replace(day=1) - timedelta(days=40))
    created = datetime.combine(month + timedelta(days=9), time(10), tzinfo=UTC)
    build.conversation(tenant, created, resolved_at=created + timedelta(minutes=10), resolved_by="human")
    aggregator.run_tenant(aggregator_db, str(tenant))
    ten_days = owner_conn.run("SELECT aurion_resolution_bucket(864000)")[0][0]
    owner_conn.run("UPDATE conversation_resolution_histogram_monthly SET bucket = :b WHERE tenant_id = :t",
                   b=ten_days, t=tenant)  # fmt: skip
    app, caller = functions("conversation_analytics"), caller_for(tenant)
    last_day = next_month(month) - timedelta(days=1)

    # When the overview covers that whole month, and then only days of it
    whole = get(app, f"{OVERVIEW}?date_from={month}&date_to={last_day}", caller).body
    days = get(app, f"{OVERVIEW}?date_from={month + timedelta(days=1)}&date_to={last_day}", caller).body

    # Then the whole month came from its monthly row, the days from the daily rows
    assert whole["resolution_minutes_median"] == pytest.approx(10 * 24 * 60, rel=0.011)
    assert days["resolution_minutes_median"] == pytest.approx(10, rel=0.011)


def test_medians_over_months_equal_the_medians_of_the_daily_rows(build, owner_conn, aggregator_db, calendar_clock):
    # Given conversations resolved over 80 days, rolled up
    rng = random.Random(7)
    now = calendar_clock.now
    tenant = build.tenant()
    with one_transaction(build.conn):
        resolved_conversations(build, tenant, rng, now, 400)
    aggregator.run_tenant(aggregator_db, str(tenant))
    today = now.date()

    # When random ranges of whole days are read with their whole months, and with their daily rows only
    ranges_with_months = 0
    for _ in range(12):
        day_from = today - timedelta(days=rng.randint(20, 82))
        day_to = min(today, day_from + timedelta(days=rng.randint(1 if ranges_with_months >= 6 else 32, 80)))
        params = {
            "tenant_id": str(tenant), "day_from": day_from, "day_to": day_to,
            "start": datetime.combine(day_from, time.min, tzinfo=UTC),
            "end": datetime.combine(day_to, time.min, tzinfo=UTC) - timedelta(microseconds=1),
            "closed_from": datetime.combine(day_from, time.min, tzinfo=UTC),
            "closed_to": datetime.combine(day_to, time.min, tzinfo=UTC),
        }  # fmt: skip
        month_from, month_to = whole_months(day_from, day_to)
        ranges_with_months += month_from < month_to
        with_months = owner_conn.run(HISTOGRAM_MEDIAN_SQL, **params, month_from=month_from, month_to=month_to)
        days_only = owner_conn.run(HISTOGRAM_MEDIAN_SQL, **params, month_from=day_to, month_to=day_to)

        # Then both give the same median
        assert with_months == days_only, (day_from, day_to)
    assert ranges_with_months >= 3
