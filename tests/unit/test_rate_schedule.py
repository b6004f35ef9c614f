"""The dev stack fires scheduled functions on the template's cadence, starting at once."""

from __future__ import annotations

import threading

from local.paths import TEMPLATE
from local.rate_schedule import RateSchedule, rate_period_s


def test_the_aggregator_period_comes_from_its_schedule_in_the_template():
    assert rate_period_s(TEMPLATE, "AggregatorFunction") == 5 * 60


def test_a_schedule_fires_at_start_and_again_every_period():
    # Given a function that records its scheduled events
    fired: list[dict] = []
    twice = threading.Event()

    def invoke(logical_id: str, event: dict) -> None:
        fired.append(event)
        if len(fired) == 2:
            twice.set()

    # When its schedule runs with a short period
    schedule = RateSchedule.start("AggregatorFunction", 0.05, invoke)
    try:
        assert twice.wait(5)
    finally:
        schedule.stop()

    # Then it received EventBridge scheduled events, the first at once
    assert all(event["detail-type"] == "Scheduled Event" for event in fired)
