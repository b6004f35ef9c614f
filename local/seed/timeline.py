"""The hours of the window and how much traffic each one gets (weekday, office hours, growth, busy days).

Hours and days are those of the tenant's home time zone (daylight-saving changes included): a New York
tenant's calls peak at 10:00 in New York, 15:00 UTC in winter and 14:00 in summer.

seed_slots has one row per hour of [start, end) with, per traffic profile, integer running sums of weight.
A table of N rows takes the rows numbered (N * before / total, N * upto / total] from each hour, so it
gets exactly N rows, in time order, without a random() call or a sort.
"""

from __future__ import annotations

from local.seed import vocab
from local.seed.spec import TenantSpec
from local.seed.sqlkit import Draws, lit, num_array

PROFILES = ("conversations", "calls", "views")
_HOURLY = {
    "conversations": vocab.HOURLY_CONVERSATIONS,
    "calls": vocab.HOURLY_CALLS,
    "views": vocab.HOURLY_VIEWS,
}
_d = Draws("timeline", key="day")


def create_slots_sql(spec: TenantSpec) -> str:
    hours = spec.days * 24
    weights = ",\n".join(
        f"round(1000 * ({num_array(_HOURLY[p], 'float8')})[hour + 1]"
        f" * CASE WHEN weekend THEN {vocab.WEEKEND_FACTOR[p]} ELSE weekday END * trend * busy"
        f"{' * incident' if p == 'conversations' else ''})::bigint AS w_{p}"
        for p in PROFILES
    )
    first_hour, end_hour = vocab.AGENT_HOURS
    sums = ",\n".join(
        f"(sum(w_{p}) OVER (ORDER BY k) - w_{p})::bigint AS {p}_before, "
        f"(sum(w_{p}) OVER (ORDER BY k))::bigint AS {p}_upto, (sum(w_{p}) OVER ())::bigint AS {p}_total"
        for p in PROFILES
    )
    return f"""
CREATE TEMP TABLE seed_slots ON COMMIT DROP AS
SELECT k, slot_start, off_hours, {sums}
FROM (
    SELECT k, slot_start, weekend OR hour < {first_hour} OR hour >= {end_hour} AS off_hours, {weights}
    FROM (
        SELECT k, slot_start, hour, weekend,
               ({num_array(vocab.WEEKDAY_FACTOR, "float8")})[least(dow, 5)] AS weekday,
               -- Slow growth over the window, day-to-day noise, and on ~2% of days an incident that
               -- doubles the conversations (anomalies give the dashboards something to show).
               0.85 + 0.3 * k / {max(hours - 1, 1)} AS trend,
               0.85 + 0.3 * {_d.u("busy")} AS busy,
               CASE WHEN {_d.u("incident")} < 0.02 THEN 2.2 ELSE 1 END AS incident
        FROM (
            SELECT k, slot_start, date_part('hour', local_mid)::int AS hour, date_part('isodow', local_mid)::int AS dow,
                   date_part('isodow', local_mid) >= 6 AS weekend,
                   -- Busy days and incidents are local days.
                   local_mid::date - {lit(spec.start.date().isoformat())}::date AS day
            FROM (
                SELECT k, slot_start,
                       -- The middle of the hour, so zones half an hour off UTC take the hour most of it is in.
                       (slot_start + interval '30 minutes') AT TIME ZONE {lit(spec.time_zone)} AS local_mid
                FROM (
                    SELECT k, pg_temp.seed_start() + k * interval '1 hour' AS slot_start
                    FROM generate_series(0, {hours - 1}) AS k
                ) hours
            ) located
        ) localised
    ) shaped
) weighted
ORDER BY k
"""


def rows_per_slot(profile: str, count: int | str, number: str = "n") -> str:
    """FROM-clause items giving `count` numbered rows spread over the slots of `profile` (alias s)."""
    if profile not in PROFILES:
        raise ValueError(profile)
    return (
        f"seed_slots s CROSS JOIN LATERAL generate_series(({count})::bigint * s.{profile}_before "
        f"/ s.{profile}_total + 1, ({count})::bigint * s.{profile}_upto / s.{profile}_total) AS {number}"
    )
