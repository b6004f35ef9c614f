"""EventBridge `rate(...)` schedules for the dev stack: fire a function at start, then every period.

The period comes from the function's Schedule event in template.yaml, so the dev stack runs the aggregator
on the same cadence as AWS does.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.cfn import load_template
from local.exports_loop import scheduled_event

log = logging.getLogger("local.schedule")

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours)\)")
_UNIT_SECONDS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}


def rate_period_s(template_path: Path, logical_id: str) -> float:
    """The period of the function's first `rate(...)` Schedule event."""
    function = load_template(template_path)["Resources"][logical_id]
    for event in (function["Properties"].get("Events") or {}).values():
        match = _RATE.fullmatch(str(event.get("Properties", {}).get("Schedule", "")))
        if event.get("Type") == "Schedule" and match:
            return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    raise ValueError(f"{logical_id} has no rate(...) schedule in {template_path}")


class RateSchedule:
    def __init__(self, logical_id: str, period_s: float, invoke: Callable[[str, dict[str, Any]], Any]) -> None:
        self.logical_id = logical_id
        self.period_s = period_s
        self._invoke = invoke
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{logical_id}", daemon=True)

    @classmethod
    def start(cls, logical_id: str, period_s: float, invoke: Callable[[str, dict[str, Any]], Any]) -> RateSchedule:
        schedule = cls(logical_id, period_s, invoke)
        schedule._thread.start()
        return schedule

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self._invoke(self.logical_id, scheduled_event(datetime.now(UTC), "local"))
                log.info("%s: %s", self.logical_id, result)
            except Exception as exc:  # the next tick retries, as EventBridge would
                log.warning("%s failed: %s", self.logical_id, type(exc).__name__)
            self._stop.wait(self.period_s)
