"""What every metric query shares: the range predicate, optional filters, number and time formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aurion.params import DateRange

PRIORITIES = ("urgent", "high", "medium", "low")
PRIORITY_ORDER = "array_position(ARRAY['urgent', 'high', 'medium', 'low'], priority)"


def range_params(tenant_id: str, window: DateRange) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "start": window.start, "end": window.end}


def assignee_filters(alias: str, *, team_id: str | None = None, agent_id: str | None = None) -> tuple[str, dict]:
    """Extra AND conditions on a conversations alias, and their parameters (constant SQL, bound values)."""
    conditions, params = [], {}
    if team_id is not None:
        conditions.append(f"AND {alias}.team_id = CAST(:team_id AS uuid)")
        params["team_id"] = team_id
    if agent_id is not None:
        conditions.append(f"AND {alias}.assignee_user_id = CAST(:agent_id AS uuid)")
        params["agent_id"] = agent_id
    return " ".join(conditions), params


# One rounding rule for every rate and average (docs/metrics.md): one decimal, half away from zero, on the exact
# value, as PostgreSQL's round(numeric, 1) does. Python's round() is not it: it rounds halves to even, and
# rounds the binary float, so 100 * 9 / 16 = 56.25 gave 56.2 where SQL gives 56.3.
_TENTH = Decimal("0.1")


def ratio1(numerator: int, denominator: int) -> float:
    """numerator / denominator rounded to one decimal, half away from zero, in exact integer arithmetic."""
    if denominator == 0:
        raise ZeroDivisionError("ratio1 of a zero denominator")
    negative = (numerator < 0) != (denominator < 0)
    n, d = abs(int(numerator)), abs(int(denominator))
    tenths = (20 * n + d) // (2 * d)  # floor(10 n / d + 1/2)
    return (-tenths if negative else tenths) / 10


def round1(value: Decimal | float | int) -> float:
    """A value rounded to one decimal, half away from zero; a float by its shortest decimal form (repr)."""
    exact = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    return float(exact.quantize(_TENTH, rounding=ROUND_HALF_UP))


def pct(part: int, whole: int) -> float:
    """A percentage rounded to one decimal, 0.0 of nothing (the Python twin of SQL aurion_pct)."""
    return ratio1(100 * int(part), int(whole)) if whole else 0.0


def num(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def iso_offset(value: datetime) -> str:
    """The insights metadata form: 2026-03-01T00:00:00+00:00."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()
