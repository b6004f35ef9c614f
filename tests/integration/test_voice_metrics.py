"""Every v1 voice metric against a small hand-built call log (arithmetic in each test; definitions in
docs/metrics-voice.md).

Week under test: Monday 2026-03-02 .. Sunday 2026-03-08. Its previous period of equal length is
2026-02-23 .. 2026-03-01.

| call | started (UTC)        | status    | s   | outcome        | FCR | category  | resolution_s |
| k1   | Mon 03-02 09:15      | completed | 120 | resolved       | yes | billing   | 120          |
| k2   | Mon 03-02 09:40      | completed | 300 | ticket_created | no  | billing   | 3600         |
| k3   | Tue 03-03 14:05      | completed | 200 | escalated      | no  | technical | -            |
| k4   | Tue 03-03 14:50      | failed    | 0   | abandoned      | no  | -         | -            |
| k5   | Thu 03-05 20:00      | completed | 180 | resolved       | yes | technical | 180          |
| k6   | Sun 03-08 23:59:59   | completed | 60  | ticket_created | no  | billing   | -            |
| next | Mon 03-09 00:00:00   | completed | 60  | resolved       | yes | -         | -            |  (after the week)
| p4   | Mon 02-23 00:00:00   | completed | 400 | ticket_created | no  | -         | 500          |  previous period
| p1   | Tue 02-24 10:00      | completed | 100 | resolved       | yes | -         | 100          |  previous period
| p2   | Sat 02-28 11:00      | completed | 240 | ticket_created | no  | -         | -            |  previous period
| p3   | Sun 03-01 23:59      | failed    | 0   | abandoned      | no  | -         | -            |  previous period
| old  | Sun 02-22 23:59:59   | completed | 60  | resolved       | yes | -         | -            |  before both
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from aurion.auth.roles import READ_ROLES
from tests.support.api import caller_for, get
from tests.support.builders import Builder, at

BASE = "/api/v1/analytics"
WEEK = "start_date=2026-03-02&end_date=2026-03-08"
ROUTES = ["call-metrics", "resolution-rates", "usage-patterns"]


@dataclass
class VoiceScenario:
    tenant: uuid.UUID
    calls: dict[str, uuid.UUID]


def _call(build: Builder, tenant: uuid.UUID, started: datetime, **fields) -> uuid.UUID:
    fields.setdefault("ended_at", started + timedelta(seconds=fields.get("duration_seconds", 60)))
    return build.call(tenant, started, **fields)


def build_voice_scenario(build: Builder) -> VoiceScenario:
    tenant = build.tenant()
    spec = {
        "k1": ("2026-03-02 09:15", "completed", 120, "resolved", True, "billing", 120),
        "k2": ("2026-03-02 09:40", "completed", 300, "ticket_created", False, "billing", 3600),
        "k3": ("2026-03-03 14:05", "completed", 200, "escalated", False, "technical", None),
        "k4": ("2026-03-03 14:50", "failed", 0, "abandoned", False, None, None),
        "k5": ("2026-03-05 20:00", "completed", 180, "resolved", True, "technical", 180),
        "k6": ("2026-03-08 23:59:59", "completed", 60, "ticket_created", False, "billing", None),
        "next": ("2026-03-09 00:00:00", "completed", 60, "resolved", True, None, None),
        "p4": ("2026-02-23 00:00:00", "completed", 400, "ticket_created", False, None, 500),
        "p1": ("2026-02-24 10:00", "completed", 100, "resolved", True, None, 100),
        "p2": ("2026-02-28 11:00", "completed", 240, "ticket_created", False, None, None),
        "p3": ("2026-03-01 23:59", "failed", 0, "abandoned", False, None, None),
        "old": ("2026-02-22 23:59:59", "completed", 60, "resolved", True, None, None),
    }
    calls = {
        name: _call(
            build,
            tenant,
            at(started),
            status=status,
            duration_seconds=seconds,
            outcome=outcome,
            first_call_resolution=fcr,
            category=category,
            resolution_seconds=resolution,
        )
        for name, (started, status, seconds, outcome, fcr, category, resolution) in spec.items()
    }

    def usage(
        provider: str,
        requested: str,
        tokens_in: int,
        tokens_out: int,
        latency: int,
        *,
        call: str | None = None,
        error: bool = False,
    ) -> None:
        build.insert(
            "llm_usage",
            tenant_id=tenant,
            call_id=calls[call] if call else None,
            provider=provider,
            model="m",
            requested_at=at(requested),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            latency_ms=latency,
            is_error=error,
        )

    usage("groq", "2026-03-02 09:16", 100, 50, 300, call="k1")
    usage("groq", "2026-03-02 09:17", 200, 100, 500, call="k1", error=True)
    usage("openai", "2026-03-03 14:06", 1000, 400, 800, call="k3")
    usage("openai", "2026-03-04 10:00", 50, 10, 200)  # a helpdesk request, linked to no call
    usage("groq", "2026-03-09 00:00:30", 30, 20, 150, call="k6")  # after the week, for a call in the week
    usage("groq", "2026-03-02 00:00:10", 7, 3, 100, call="p3")  # in the week, for a call before it
    return VoiceScenario(tenant=tenant, calls=calls)


@pytest.fixture
def scenario(build):
    return build_voice_scenario(build)


@pytest.fixture
def ask(functions, scenario):
    def call(path: str, query: str = WEEK, role: str = "agent", tenant=None):
        response = get(
            functions("voice_analytics"), f"{BASE}/{path}?{query}", caller_for(tenant or scenario.tenant, role)
        )
        assert response.status == 200, response.body
        return response.body

    return call


def test_call_metrics_kpis_volume_outcomes_and_peak_hours_of_calls_started_in_the_week(ask):
    assert ask("call-metrics") == {
        "kpis": {
            "total_calls": 6,  # k1..k6; "next" (Mar 9 00:00) and p3 (Mar 1 23:59) are outside
            "completed_calls": 5,
            "failed_calls": 1,  # k4
            "avg_duration_seconds": 172.0,  # completed only: (120 + 300 + 200 + 180 + 60) / 5
            "first_call_resolution_rate": 33.3,  # k1, k5: 2 / 6
            "tickets_created": 2,  # k2, k6
            "escalation_count": 1,  # k3
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
        },
        "call_volume": [
            {"date": "2026-03-02", "total_calls": 2, "completed_calls": 2, "failed_calls": 0},
            {"date": "2026-03-03", "total_calls": 2, "completed_calls": 1, "failed_calls": 1},
            {"date": "2026-03-05", "total_calls": 1, "completed_calls": 1, "failed_calls": 0},
            {"date": "2026-03-08", "total_calls": 1, "completed_calls": 1, "failed_calls": 0},
        ],
        # Most first, ties by outcome name; each over the 6 calls.
        "outcome_breakdown": [
            {"outcome": "resolved", "count": 2, "percentage": 33.3},
            {"outcome": "ticket_created", "count": 2, "percentage": 33.3},
            {"outcome": "abandoned", "count": 1, "percentage": 16.7},
            {"outcome": "escalated", "count": 1, "percentage": 16.7},
        ],
        # ISO weekdays: Monday 1 .. Sunday 7. Busiest first, then weekday, then hour.
        "peak_hours": [
            {"hour": 9, "day_of_week": 1, "call_count": 2},  # k1, k2
            {"hour": 14, "day_of_week": 2, "call_count": 2},  # k3, k4
            {"hour": 20, "day_of_week": 4, "call_count": 1},  # k5
            {"hour": 23, "day_of_week": 7, "call_count": 1},  # k6
        ],
    }


def test_the_outcome_filter_applies_to_every_block(ask):
    body = ask("call-metrics", f"{WEEK}&outcome=ticket_created")
    # k2 (300 s, Mon 09:40) and k6 (60 s, Sun 23:59:59).
    assert body["kpis"] == {
        "total_calls": 2,
        "completed_calls": 2,
        "failed_calls": 0,
        "avg_duration_seconds": 180.0,
        "first_call_resolution_rate": 0.0,
        "tickets_created": 2,
        "escalation_count": 0,
        "period_start": "2026-03-02",
        "period_end": "2026-03-08",
    }
    assert body["outcome_breakdown"] == [{"outcome": "ticket_created", "count": 2, "percentage": 100.0}]
    assert [day["date"] for day in body["call_volume"]] == ["2026-03-02", "2026-03-08"]
    assert body["peak_hours"] == [
        {"hour": 9, "day_of_week": 1, "call_count": 1},
        {"hour": 23, "day_of_week": 7, "call_count": 1},
    ]
    assert ask("call-metrics", f"{WEEK}&outcome=voicemail")["kpis"]["total_calls"] == 0


def test_the_time_zone_moves_the_range_and_the_buckets(ask):
    # Paris is UTC+1 in early March: the week is [Mar 1 23:00Z, Mar 8 23:00Z). p3 (Mar 1 23:59Z = Mar 2 00:59 in
    # Paris) comes in, k6 (Mar 8 23:59:59Z = Mar 9 00:59:59) goes out.
    body = ask("call-metrics", f"{WEEK}&tz=Europe/Paris")
    assert body["kpis"]["total_calls"] == 6
    assert body["call_volume"] == [
        {"date": "2026-03-02", "total_calls": 3, "completed_calls": 2, "failed_calls": 1},  # p3, k1, k2
        {"date": "2026-03-03", "total_calls": 2, "completed_calls": 1, "failed_calls": 1},
        {"date": "2026-03-05", "total_calls": 1, "completed_calls": 1, "failed_calls": 0},
    ]
    assert body["peak_hours"] == [
        {"hour": 10, "day_of_week": 1, "call_count": 2},  # k1 10:15, k2 10:40
        {"hour": 15, "day_of_week": 2, "call_count": 2},
        {"hour": 0, "day_of_week": 1, "call_count": 1},  # p3 00:59
        {"hour": 21, "day_of_week": 4, "call_count": 1},
    ]


def test_resolution_rates_per_day_per_category_and_against_the_previous_week(ask):
    assert ask("resolution-rates") == {
        "fcr_trend": [
            {"date": "2026-03-02", "total_calls": 2, "fcr_calls": 1, "fcr_rate": 50.0},
            {"date": "2026-03-03", "total_calls": 2, "fcr_calls": 0, "fcr_rate": 0.0},
            {"date": "2026-03-05", "total_calls": 1, "fcr_calls": 1, "fcr_rate": 100.0},
            {"date": "2026-03-08", "total_calls": 1, "fcr_calls": 0, "fcr_rate": 0.0},
        ],
        # Most calls first; calls without a category last, as null.
        "resolution_by_category": [
            # k1 (resolved, FCR), k2, k6; resolution times 120 and 3600 -> 1860.
            {
                "category": "billing",
                "total_calls": 3,
                "resolved_calls": 1,
                "resolution_rate": 33.3,
                "first_call_resolution_rate": 33.3,
                "avg_resolution_time_seconds": 1860.0,
            },
            # k3, k5 (resolved, FCR, 180 s).
            {
                "category": "technical",
                "total_calls": 2,
                "resolved_calls": 1,
                "resolution_rate": 50.0,
                "first_call_resolution_rate": 50.0,
                "avg_resolution_time_seconds": 180.0,
            },
            # k4: abandoned, never resolved.
            {
                "category": None,
                "total_calls": 1,
                "resolved_calls": 0,
                "resolution_rate": 0.0,
                "first_call_resolution_rate": 0.0,
                "avg_resolution_time_seconds": None,
            },
        ],
        "avg_resolution_time_seconds": 1300.0,  # (120 + 3600 + 180) / 3 calls that have a resolution time
        # Previous period Feb 23 .. Mar 1: p4 (Feb 23 00:00, included), p1, p2, p3; "old" is before it.
        # Previous: 4 calls, FCR p1 = 25.0 %, resolved p1 = 25.0 %, resolution times 500 and 100 -> 300.0.
        # Current: 6 calls, FCR 2/6 = 33.3 %, resolved k1, k5 = 33.3 %, 1300.0.
        "period_comparison": {
            "previous_start": "2026-02-23",
            "previous_end": "2026-03-01",
            "current_total_calls": 6,
            "previous_total_calls": 4,
            "total_calls_change_pct": 50.0,  # (6 - 4) / 4
            "current_fcr_rate": 33.3,
            "previous_fcr_rate": 25.0,
            "fcr_rate_change": 8.3,  # points: 33.3 - 25.0
            "current_resolution_rate": 33.3,
            "previous_resolution_rate": 25.0,
            "resolution_rate_change": 8.3,
            "current_avg_resolution_time_seconds": 1300.0,
            "previous_avg_resolution_time_seconds": 300.0,
            "avg_resolution_time_change_seconds": 1000.0,
        },
    }


def test_period_comparison_is_null_when_the_previous_period_has_no_calls(ask):
    # Feb 16 .. Feb 22 holds only "old"; Feb 9 .. Feb 15 holds nothing.
    body = ask("resolution-rates", "start_date=2026-02-16&end_date=2026-02-22")
    assert body["fcr_trend"] == [{"date": "2026-02-22", "total_calls": 1, "fcr_calls": 1, "fcr_rate": 100.0}]
    assert body["period_comparison"] is None


def test_a_one_day_range_compares_with_the_day_before(ask):
    # Mar 2 (k1, k2) against Mar 1 (p3): from 1 call to 2 is +100 %; FCR 50.0 against 0.0.
    comparison = ask("resolution-rates", "start_date=2026-03-02&end_date=2026-03-02")["period_comparison"]
    assert (comparison["previous_start"], comparison["previous_end"]) == ("2026-03-01", "2026-03-01")
    assert (comparison["total_calls_change_pct"], comparison["fcr_rate_change"]) == (100.0, 50.0)
    assert comparison["avg_resolution_time_change_seconds"] is None  # p3 has no resolution time


def test_usage_patterns_hours_weekdays_months_llm_usage_and_tokens_per_call(ask):
    assert ask("usage-patterns") == {
        "hourly_distribution": [
            {"hour": 9, "call_count": 2, "percentage": 33.3},
            {"hour": 14, "call_count": 2, "percentage": 33.3},
            {"hour": 20, "call_count": 1, "percentage": 16.7},
            {"hour": 23, "call_count": 1, "percentage": 16.7},
        ],
        "weekly_distribution": [
            {"day_of_week": 1, "call_count": 2, "percentage": 33.3},
            {"day_of_week": 2, "call_count": 2, "percentage": 33.3},
            {"day_of_week": 4, "call_count": 1, "percentage": 16.7},
            {"day_of_week": 7, "call_count": 1, "percentage": 16.7},
        ],
        "monthly_trends": [
            {
                "month": "2026-03",
                "total_calls": 6,
                "completed_calls": 5,
                "failed_calls": 1,
                "avg_duration_seconds": 172.0,
                "first_call_resolution_rate": 33.3,
            },
        ],
        # Requests made in the week, whatever they served. groq: k1's two (one an error) and p3's;
        # openai: k3's and the helpdesk one. k6's request came after the week.
        "llm_usage": [
            {
                "provider": "groq",
                "total_requests": 3,
                "total_input_tokens": 307,
                "total_output_tokens": 153,
                "avg_latency_ms": 300.0,
                "error_count": 1,
            },  # latency (300 + 500 + 100) / 3
            {
                "provider": "openai",
                "total_requests": 2,
                "total_input_tokens": 1050,
                "total_output_tokens": 410,
                "avg_latency_ms": 500.0,
                "error_count": 0,
            },
        ],
        # Tokens of the requests of the week's calls, whenever made: k1 150 + 300, k3 1400, k6 50 = 1900;
        # over all 6 calls of the week (those without a request included): 316.67.
        "avg_tokens_per_call": 316.7,
    }


def test_monthly_trends_split_a_range_across_months(ask):
    body = ask("usage-patterns", "start_date=2026-02-23&end_date=2026-03-08")
    assert body["monthly_trends"] == [
        # p4 (400 s), p1 (100 s), p2 (240 s): 740 / 3 = 246.67; FCR p1.
        {
            "month": "2026-02",
            "total_calls": 3,
            "completed_calls": 3,
            "failed_calls": 0,
            "avg_duration_seconds": 246.7,
            "first_call_resolution_rate": 33.3,
        },
        # p3 and k1..k6: 5 completed (172.0 as in the week), 2 failed; FCR k1, k5 = 2 / 7.
        {
            "month": "2026-03",
            "total_calls": 7,
            "completed_calls": 5,
            "failed_calls": 2,
            "avg_duration_seconds": 172.0,
            "first_call_resolution_rate": 28.6,
        },
    ]


# Europe/Paris springs forward on Sunday 2026-03-29 at 02:00 (01:00Z): that local day has 23 hours,
# [Mar 28 23:00Z, Mar 29 22:00Z). It falls back on Sunday 2026-10-25 at 03:00 (01:00Z): 25 hours,
# [Oct 24 22:00Z, Oct 25 23:00Z).
DST_CALLS = {
    "2026-03-28 22:59:59": "Sat Mar 28 23:59:59 CET: the day before",
    "2026-03-28 23:30": "Sun 00:30 CET",
    "2026-03-29 01:30": "Sun 03:30 CEST (02:00-03:00 does not exist)",
    "2026-03-29 21:30": "Sun 23:30 CEST",
    "2026-03-29 22:00": "Mon Mar 30 00:00 CEST: the day after",
    "2026-10-24 22:30": "Sun Oct 25 00:30 CEST",
    "2026-10-25 00:30": "Sun 02:30 CEST (first pass)",
    "2026-10-25 01:30": "Sun 02:30 CET (second pass)",
    "2026-10-25 22:30": "Sun 23:30 CET",
    "2026-10-25 23:00": "Mon Oct 26 00:00 CET: the day after",
}


@pytest.fixture
def dst_tenant(build):
    tenant = build.tenant()
    for started in DST_CALLS:
        build.call(tenant, at(started))
    return tenant


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2026-03-29", [0, 3, 23]), ("2026-10-25", [0, 2, 2, 23])],
    ids=["23-hour-day", "25-hour-day"],
)
def test_a_daylight_saving_day_in_paris_is_one_whole_local_day(functions, dst_tenant, day, hours):
    module, caller = functions("voice_analytics"), caller_for(dst_tenant)
    query = f"start_date={day}&end_date={day}&tz=Europe/Paris"
    metrics = get(module, f"{BASE}/call-metrics?{query}", caller).body
    assert metrics["kpis"]["total_calls"] == len(hours)
    assert metrics["call_volume"] == [
        {"date": day, "total_calls": len(hours), "completed_calls": len(hours), "failed_calls": 0}
    ]
    # Sunday is ISO day 7; both 02:30s of the 25-hour day are hour 2.
    assert sorted(cell["hour"] for cell in metrics["peak_hours"] for _ in range(cell["call_count"])) == hours
    assert {cell["day_of_week"] for cell in metrics["peak_hours"]} == {7}
    usage = get(module, f"{BASE}/usage-patterns?{query}", caller).body
    assert [(h["hour"], h["call_count"]) for h in usage["hourly_distribution"]] == sorted(
        {(hour, hours.count(hour)) for hour in hours}
    )
    assert usage["weekly_distribution"] == [{"day_of_week": 7, "call_count": len(hours), "percentage": 100.0}]
    trend = get(module, f"{BASE}/resolution-rates?{query}", caller).body["fcr_trend"]
    assert [(d["date"], d["total_calls"]) for d in trend] == [(day, len(hours))]


def test_the_spring_forward_weekend_day_by_day_in_paris_and_in_utc(functions, dst_tenant):
    module, caller = functions("voice_analytics"), caller_for(dst_tenant)
    paris = get(module, f"{BASE}/call-metrics?start_date=2026-03-28&end_date=2026-03-30&tz=Europe/Paris", caller)
    assert [(d["date"], d["total_calls"]) for d in paris.body["call_volume"]] == [
        ("2026-03-28", 1),
        ("2026-03-29", 3),
        ("2026-03-30", 1),
    ]
    utc = get(module, f"{BASE}/call-metrics?start_date=2026-03-29&end_date=2026-03-29", caller)
    assert [(c["hour"], c["call_count"]) for c in utc.body["peak_hours"]] == [(1, 1), (21, 1), (22, 1)]


def test_an_empty_range_returns_zero_counts_zero_rates_null_averages_and_empty_lists(ask):
    empty = "start_date=2020-01-01&end_date=2020-01-31"
    assert ask("call-metrics", empty) == {
        "kpis": {
            "total_calls": 0,
            "completed_calls": 0,
            "failed_calls": 0,
            "avg_duration_seconds": None,
            "first_call_resolution_rate": 0.0,
            "tickets_created": 0,
            "escalation_count": 0,
            "period_start": "2020-01-01",
            "period_end": "2020-01-31",
        },
        "call_volume": [],
        "outcome_breakdown": [],
        "peak_hours": [],
    }
    assert ask("resolution-rates", empty) == {
        "fcr_trend": [],
        "resolution_by_category": [],
        "avg_resolution_time_seconds": None,
        "period_comparison": None,
    }
    assert ask("usage-patterns", empty) == {
        "hourly_distribution": [],
        "weekly_distribution": [],
        "monthly_trends": [],
        "llm_usage": [],
        "avg_tokens_per_call": None,
    }


def test_a_current_period_without_calls_still_compares_with_a_previous_one(ask):
    # Mar 10 .. Mar 16 is empty; Mar 3 .. Mar 9 has k3, k4, k5, k6 and "next".
    comparison = ask("resolution-rates", "start_date=2026-03-10&end_date=2026-03-16")["period_comparison"]
    assert (comparison["current_total_calls"], comparison["previous_total_calls"]) == (0, 5)
    assert comparison["total_calls_change_pct"] == -100.0
    assert comparison["current_avg_resolution_time_seconds"] is None


def test_other_tenants_calls_and_llm_usage_never_count(ask, build):
    build_voice_scenario(build)  # a second tenant with identical data
    assert ask("call-metrics")["kpis"]["total_calls"] == 6
    assert ask("resolution-rates")["period_comparison"]["previous_total_calls"] == 4
    usage = ask("usage-patterns")
    assert [p["total_requests"] for p in usage["llm_usage"]] == [3, 2]
    assert usage["avg_tokens_per_call"] == 316.7


def test_a_tenant_without_calls_sees_nothing_of_the_others(ask, build):
    lonely = build.tenant()
    assert ask("call-metrics", tenant=lonely)["kpis"]["total_calls"] == 0
    assert ask("usage-patterns", tenant=lonely)["llm_usage"] == []


@pytest.mark.parametrize("role", sorted(READ_ROLES))
@pytest.mark.parametrize("route", ROUTES)
def test_every_read_role_may_read_every_voice_view(ask, role, route):
    assert ask(route, role=role)


@pytest.mark.parametrize("route", ROUTES)
def test_a_role_outside_the_read_list_is_403(functions, scenario, route):
    response = get(functions("voice_analytics"), f"{BASE}/{route}?{WEEK}", caller_for(scenario.tenant, "billing"))
    assert response.status == 403
    assert set(response.body) == {"detail"}


@pytest.mark.parametrize("route", ROUTES)
def test_a_tenant_below_the_professional_plan_is_403(functions, build, route):
    starter = build.tenant(plan="starter")
    response = get(functions("voice_analytics"), f"{BASE}/{route}?{WEEK}", caller_for(starter))
    assert response.status == 403
    assert "Professional" in response.body["detail"]
