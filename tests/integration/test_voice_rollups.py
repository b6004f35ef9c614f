"""Voice rollups: answers read through them equal the raw answers, in every time zone, and follow late changes.

The reference is the same endpoint before the aggregator ever ran for the tenant: with no rollup state every
range is read from raw rows. Random calls and LLM requests, random ranges, zones and filters, then one
aggregator run, then the same requests. Every test that reads "now" runs on a fixed clock, once per calendar
edge (tests/support/clock.py).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aurion.params import DateRange
from aurion.rollups import aggregator
from aurion.rollups.window import in_zone, split_hours, whole_hour_offsets
from tests.support.api import caller_for, get
from tests.support.transactions import one_transaction

V1 = "/api/v1/analytics"
UNIFIED = "/api/v2/analytics/unified-overview"
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
COMPLETED_OUTCOMES = ("resolved", "ticket_created", "escalated", "transferred")
FAILED_OUTCOMES = ("abandoned", "voicemail")
CATEGORIES = ("billing", "technical", "account", "sales", None)
PROVIDERS = ("groq", "openai", "anthropic")


def latest_dst_day(tz: str, today: date) -> date | None:
    """The last local day before today that is not 24 hours long in tz (a daylight-saving change)."""
    zone = ZoneInfo(tz)
    for back in range(1, 367):
        day = today - timedelta(days=back)
        start = datetime.combine(day, time.min, tzinfo=zone)
        after = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        if after.astimezone(UTC) - start.astimezone(UTC) != timedelta(days=1):
            return day
    return None


def add_random_call(build, tenant, rng: random.Random, started: datetime, now: datetime) -> None:
    completed = rng.random() < 0.85
    outcome = rng.choice(COMPLETED_OUTCOMES if completed else FAILED_OUTCOMES)
    duration = (rng.randint(5, 3600) if rng.random() < 0.95 else None) if completed else 0
    resolved = outcome == "resolved" or rng.random() < 0.1
    call = build.insert(
        "calls",
        id=uuid.uuid4(),
        tenant_id=tenant,
        phone_number="+33612345678",
        direction="inbound",
        started_at=started,
        status="completed" if completed else "failed",
        duration_seconds=duration,
        ended_at=started + timedelta(seconds=duration or 0),
        outcome=outcome,
        first_call_resolution=resolved and rng.random() < 0.6,
        category=rng.choice(CATEGORIES),
        resolution_seconds=rng.randint(30, 86_400) if resolved and rng.random() < 0.8 else None,
    )
    # Requests during the call and some well after it (a follow-up summary): they may land in another hour or day.
    for _ in range(rng.choice((0, 0, 1, 2, 3))):
        requested = started + timedelta(seconds=rng.randint(0, (duration or 0) + rng.choice((0, 0, 7200))))
        add_request(build, tenant, rng, min(requested, now), call)


def add_request(build, tenant, rng: random.Random, requested: datetime, call=None) -> None:
    build.insert(
        "llm_usage",
        tenant_id=tenant,
        call_id=call,
        provider=rng.choice(PROVIDERS),
        model="m",
        requested_at=requested,
        input_tokens=rng.randint(0, 4000),
        output_tokens=rng.randint(0, 1500),
        latency_ms=rng.randint(50, 5000),
        is_error=rng.random() < 0.05,
    )


def build_random_tenant(build, rng: random.Random, now: datetime, calls: int = 160) -> Any:
    """Calls over the last 40 days, more around each zone's last daylight-saving change, helpdesk requests."""
    tenant = build.tenant(products=("voice",))
    moments = [now - timedelta(seconds=rng.randint(0, 40 * 86_400)) for _ in range(calls)]
    for tz in ZONES:
        day = latest_dst_day(tz, now.date())
        if day is not None:
            middle = datetime.combine(day, time(12), tzinfo=UTC)
            moments += [middle + timedelta(seconds=rng.randint(-36 * 3600, 36 * 3600)) for _ in range(20)]
    for started in moments:
        add_random_call(build, tenant, rng, started, now)
    for _ in range(60):
        add_request(build, tenant, rng, now - timedelta(seconds=rng.randint(0, 40 * 86_400)))
    return tenant


def random_queries(rng: random.Random, today: date, count: int) -> list[str]:
    """v1 queries: per zone, the 40 days up to today, its last daylight-saving day, and random ranges (some
    ending after today); call-metrics also with an outcome filter."""
    queries = []
    for tz in ZONES:
        ranges = [(today - timedelta(days=40), today)]
        dst_day = latest_dst_day(tz, today)
        if dst_day is not None:
            ranges.append((dst_day, dst_day))
        for _ in range(count):
            start = today - timedelta(days=rng.randint(0, 42))
            ranges.append((start, start + timedelta(days=rng.randint(0, 29))))
        for start, end in ranges:
            dates = f"start_date={start}&end_date={end}&tz={tz}"
            outcome = rng.choice(COMPLETED_OUTCOMES + FAILED_OUTCOMES)
            queries += [
                f"{V1}/call-metrics?{dates}",
                f"{V1}/call-metrics?{dates}&outcome={outcome}",
                f"{V1}/resolution-rates?{dates}",
                f"{V1}/usage-patterns?{dates}",
            ]
    return queries


def random_unified_queries(rng: random.Random, now: datetime, count: int) -> list[str]:
    """Unified overview ranges between any two instants (minutes, not whole hours)."""
    queries = []
    for _ in range(count):
        start = now - timedelta(minutes=rng.randint(0, 42 * 1440))
        end = start + timedelta(minutes=rng.randint(30, 30 * 1440))
        queries.append(f"{UNIFIED}?date_from={start:%Y-%m-%dT%H:%M}:00Z&date_to={end:%Y-%m-%dT%H:%M}:00Z")
    return queries


def answers(functions, tenant, urls: list[str]) -> dict[str, Any]:
    caller = caller_for(tenant, "tenant_admin")
    results = {}
    for url in urls:
        module = functions("unified_overview" if url.startswith(UNIFIED) else "voice_analytics")
        response = get(module, url, caller)
        assert response.status == 200, (url, response.body)
        results[url] = response.body
    return results


def test_rollup_backed_voice_answers_equal_the_raw_answers_for_random_data_ranges_zones_and_filters(
    functions, build, aggregator_db, calendar_clock
):
    # Given random calls and LLM requests over the 40 days before the clock and around the last daylight-saving
    # changes, and every v1 answer (and the unified overview's voice block) read raw: no aggregator run yet
    rng = random.Random(20261128)
    now = calendar_clock.now
    with one_transaction(build.conn):
        tenant = build_random_tenant(build, rng, now)
    urls = random_queries(rng, now.date(), 1) + random_unified_queries(rng, now, 2)
    raw = answers(functions, tenant, urls)
    assert sum(body["kpis"]["total_calls"] for url, body in raw.items() if "/call-metrics?" in url) > 500

    # When the aggregator rolls the tenant's closed days up
    result = aggregator.run_tenant(aggregator_db, str(tenant))
    assert not result.skipped
    # 40 days back from any time of day: at least the 39 whole days before today
    assert result.days_rebuilt >= 39

    # Then every answer is exactly the same
    rolled = answers(functions, tenant, urls)
    for url, expected in raw.items():
        assert rolled[url] == expected, url


def test_closed_hours_come_from_the_rollup_and_half_hour_zones_bucket_raw_rows(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a rolled-up tenant with one call yesterday at 10:15 UTC, whose rolled-up hour we tamper with
    yesterday = calendar_clock.today - timedelta(days=1)
    tenant = build.tenant(products=("voice",))
    build.call(tenant, datetime.combine(yesterday, time(10, 15), tzinfo=UTC))
    aggregator.run_tenant(aggregator_db, str(tenant))
    owner_conn.run("UPDATE call_hourly SET calls = 1000 WHERE tenant_id = :t AND dim = 'outcome'", t=tenant)
    voice, unified, caller = functions("voice_analytics"), functions("unified_overview"), caller_for(tenant)

    def total(tz: str) -> int:
        url = f"{V1}/call-metrics?start_date={yesterday}&end_date={yesterday}&tz={tz}"
        return get(voice, url, caller).body["kpis"]["total_calls"]

    def unified_total(start: str, end: str) -> int:
        url = f"{UNIFIED}?date_from={yesterday}T{start}Z&date_to={yesterday}T{end}Z"
        return get(unified, url, caller).body["voice"]["total_calls"]

    # Then whole-hour zones read the rolled-up hour; Kolkata (UTC+05:30) buckets the call itself
    assert (total("UTC"), total("Europe/Paris"), total("Asia/Kolkata")) == (1000, 1000, 1)
    # And a range holding the whole hour reads it, one that cuts it reads the call
    assert unified_total("10:00:00", "11:00:00") == 1000
    assert unified_total("10:10:00", "11:00:00") == 1


def test_a_late_outcome_and_a_late_llm_request_for_an_old_call_show_after_one_aggregator_run(
    functions, build, owner_conn, aggregator_db, calendar_clock
):
    # Given a call escalated ten days ago, rolled up, without any LLM request
    now = calendar_clock.now
    tenant = build.tenant(products=("voice",))
    started = datetime.combine(now.date() - timedelta(days=10), time(9, 30), tzinfo=UTC)
    call = build.call(tenant, started, outcome="escalated", category="billing", duration_seconds=300)
    aggregator.run_tenant(aggregator_db, str(tenant))
    voice, caller = functions("voice_analytics"), caller_for(tenant)
    dates = f"start_date={now.date() - timedelta(days=20)}&end_date={now.date() - timedelta(days=2)}"

    def ask(path: str) -> Any:
        return get(voice, f"{V1}/{path}?{dates}", caller).body

    assert ask("call-metrics")["kpis"]["escalation_count"] == 1
    assert ask("usage-patterns")["avg_tokens_per_call"] == 0.0

    # When it is marked resolved on first contact today, its summary request is logged late, and the aggregator
    # runs once
    owner_conn.run(
        "UPDATE calls SET outcome = 'resolved', first_call_resolution = true, resolution_seconds = 300 WHERE id = :id",
        id=call,
    )
    build.insert(
        "llm_usage",
        tenant_id=tenant,
        call_id=call,
        provider="groq",
        model="m",
        requested_at=started + timedelta(minutes=6),
        input_tokens=900,
        output_tokens=100,
        latency_ms=400,
    )
    result = aggregator.run_tenant(aggregator_db, str(tenant))

    # Then only that day was rebuilt, and every view counts the change
    assert result.days_rebuilt == 1
    kpis = ask("call-metrics")["kpis"]
    assert (kpis["escalation_count"], kpis["first_call_resolution_rate"]) == (0, 100.0)
    category = ask("resolution-rates")["resolution_by_category"]
    assert category == [
        {
            "category": "billing",
            "total_calls": 1,
            "resolved_calls": 1,
            "resolution_rate": 100.0,
            "first_call_resolution_rate": 100.0,
            "avg_resolution_time_seconds": 300.0,
        }
    ]
    usage = ask("usage-patterns")
    assert usage["avg_tokens_per_call"] == 1000.0
    assert [(row["provider"], row["total_requests"]) for row in usage["llm_usage"]] == [("groq", 1)]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/Paris", True),  # both 2026 changes fall on whole UTC hours
        ("America/New_York", True),
        ("Asia/Kolkata", False),  # UTC+05:30 all year
        ("Australia/Adelaide", False),  # UTC+09:30 / +10:30
        ("Australia/Lord_Howe", False),  # +10:30 / +11: a half-hour change
    ],
)
def test_a_zone_reads_the_rollup_hours_only_when_every_utc_hour_is_inside_one_local_hour(tz, expected):
    assert whole_hour_offsets(tz, _utc("2026-01-01 00:00"), _utc("2027-01-01 00:00")) is expected


def test_the_hour_split_keeps_whole_utc_hours_before_the_watermark_and_reads_the_edges_raw():
    # Given a range from 10:30 on Nov 1 to the end of Nov 3 and rollups up to (not including) Nov 3
    window = DateRange(start=_utc("2026-11-01 10:30"), end=_utc("2026-11-03 23:59:59.999999"))
    split = split_hours(window, date(2026, 11, 3))

    # Then the rollup hours are 11:00 Nov 1 .. midnight Nov 3, the rest raw; none in a half-hour zone
    assert (split.closed_from, split.closed_to) == (_utc("2026-11-01 11:00"), _utc("2026-11-03 00:00"))
    assert split.params()["closed_from"] == _utc("2026-11-01 11:00")
    assert not in_zone(split, "Asia/Kolkata").uses_rollups
    assert in_zone(split, "Europe/Paris") == split
    # And without a watermark everything is raw: an empty first edge, the whole range as the second
    raw = split_hours(window, None)
    assert not raw.uses_rollups
    assert raw.params()["closed_from"] == raw.params()["closed_to"] == window.start
