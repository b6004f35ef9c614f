"""Whether a conversation met its SLA targets: one definition for the endpoints, the rollups and the exports.

A conversation is tracked for a target when it has a due time. Its outcome: answered (met when on or before
the due time, breached after it), still unanswered past its due time (breached), or still unanswered and not
yet due (pending: tracked, not decided; aurion.metrics.sla counts it in tracked, not in compliance).
"""

from __future__ import annotations


# Per conversation and target: true = met, false = breached, null = no target or pending. `clock` is when
# "past due" is judged: now() for a live query, the aggregator run's clock for a rollup.
def first_response_met(clock: str = "now()") -> str:
    return f"""
    CASE WHEN first_response_due_at IS NULL THEN NULL
         WHEN first_response_at IS NOT NULL THEN first_response_at <= first_response_due_at
         WHEN first_response_due_at < {clock} THEN false
    END"""


def resolution_met(clock: str = "now()") -> str:
    return f"""
    CASE WHEN resolution_due_at IS NULL THEN NULL
         WHEN resolved_at IS NOT NULL THEN resolved_at <= resolution_due_at
         WHEN resolution_due_at < {clock} THEN false
    END"""


FIRST_RESPONSE_MET = first_response_met()
RESOLUTION_MET = resolution_met()
