"""CSAT facts per day, assignee and team: the one definition of the CSAT metrics' counts, and what they derive.

A fact row counts responses and ratings per value, so any set of days sums to exactly what aggregating the
responses would give. The agent and team of a response are its conversation's current ones. The same SQL
produces the facts of a UTC day for the rollup table (aurion.rollups.csat), of the raw edges of a range, and of
an export's local days.
"""

from __future__ import annotations

# The day a response counts in: the UTC day of responded_at (the rollup table, the API's ranges), or its local day.
UTC_DAY = "(s.responded_at AT TIME ZONE 'UTC')::date"
LOCAL_DAY = "(s.responded_at AT TIME ZONE CAST(:tz AS text))::date"

MEASURES = ("responses", "rating_1", "rating_2", "rating_3", "rating_4", "rating_5")
_MEASURE_LIST = ", ".join(MEASURES)


def facts_sql(where: str, bucket: str = UTC_DAY) -> str:
    """Facts grouped by (day, agent, team) of the tenant's responses whose responded_at matches `where`; `day` is
    `bucket` of responded_at (UTC_DAY for the rollup table, LOCAL_DAY for an export's days)."""
    return f"""
SELECT {bucket} AS day,
       coalesce(c.assignee_user_id::text, '') AS agent, coalesce(c.team_id::text, '') AS team,
       count(*) AS responses,
       count(*) FILTER (WHERE s.rating = 1) AS rating_1,
       count(*) FILTER (WHERE s.rating = 2) AS rating_2,
       count(*) FILTER (WHERE s.rating = 3) AS rating_3,
       count(*) FILTER (WHERE s.rating = 4) AS rating_4,
       count(*) FILTER (WHERE s.rating = 5) AS rating_5
FROM csat_surveys s
JOIN conversations c ON c.id = s.conversation_id
WHERE s.tenant_id = CAST(:tenant_id AS uuid) AND {where}
GROUP BY 1, 2, 3
"""


# Rated, positive and the rating sum, from the per-value counts of a summed row.
RATED = "(rating_1 + rating_2 + rating_3 + rating_4 + rating_5)"
POSITIVE = "(rating_4 + rating_5)"
# numeric / numeric, as avg(smallint) computes it, so rounding sees the same value.
AVG_RATING = (
    "aurion_round1((rating_1 + 2 * rating_2 + 3 * rating_3 + 4 * rating_4 + 5 * rating_5)::numeric"
    f" / NULLIF({RATED}, 0))"
)
