"""Whether a conversation met its SLA targets: one definition for the endpoints, the rollups and the exports.

A conversation is tracked for a target when it has a due time. Its outcome: answered (met when on or before
the due time, breached after it), still unanswered past its due time (breached), or still unanswered and not
yet due (pending: tracked, not decided; aurion.metrics.sla counts it in tracked, not in compliance).
"""

from __future__ import annotations

# When "past due" is judged, bound by the caller from aurion.clock: once per transaction for a live query
# (clock.now_of), when the query runs for an export. Never SQL now(): the database's clock, which nobody can fix.
NOW = "CAST(:now AS timestamptz)"


# Per conversation and target: true = met, false = breached, null = no target or pending. `clock` is the SQL of
# the moment "past due" is judged at: NOW for a live query, the aggregator run's as_of for a rollup.
def _met(done_at: str, due_at: str, clock: str) -> str:
    """One rule for both targets: `done_at` is when the target's work was done, `due_at` its due time."""
    return f"""
    CASE WHEN {due_at} IS NULL THEN NULL
         WHEN {done_at} IS NOT NULL THEN {done_at} <= {due_at}
         WHEN {due_at} < {clock} THEN false
    END"""


def first_response_met(clock: str = NOW) -> str:
    return _met("first_response_at", "first_response_due_at", clock)


def resolution_met(clock: str = NOW) -> str:
    return _met("resolved_at", "resolution_due_at", clock)


# Both bind :now.
FIRST_RESPONSE_MET = first_response_met()
RESOLUTION_MET = resolution_met()
