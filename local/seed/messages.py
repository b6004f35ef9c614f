"""E-mail messages of e-mail conversations: the customer's first mail, the first reply, then the thread."""

from __future__ import annotations

from local.seed.helpers import row_id
from local.seed.sqlkit import Draws, pick

# Messages per direction (1 to 4), most threads being short.
THREAD_LENGTHS = (("1", 55), ("2", 28), ("3", 12), ("4", 5))

_d = Draws("email")


def insert_messages_sql() -> str:
    return f"""
INSERT INTO email_messages (id, tenant_id, email_channel_id, conversation_id, direction, sent_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT id, tenant_id, email_channel_id, conversation_id, direction, sent_at,
       -- Written when sent (same seed, same rows).
       sent_at
FROM (
SELECT {row_id("t.n * 8 + j")} AS id, pg_temp.seed_tenant() AS tenant_id, t.email_channel_id,
       t.id AS conversation_id,
       CASE WHEN j <= t.inbound THEN 'inbound' ELSE 'outbound' END AS direction,
       CASE WHEN j = 1 THEN t.created_at
            WHEN j = t.inbound + 1 THEN t.first_response_at
            -- The rest of the thread falls between the first reply and the last activity.
            ELSE t.lo + {_d.u("sent", "t.n * 8 + j")} * (t.hi - t.lo) END AS sent_at
FROM (
    SELECT n, id, email_channel_id, created_at, first_response_at,
           coalesce(first_response_at, created_at) AS lo, coalesce(resolved_at, updated_at) AS hi,
           {pick(_d.u("inbound"), THREAD_LENGTHS)} AS inbound,
           -- No reply yet means no outbound mail yet.
           CASE WHEN first_response_at IS NULL THEN 0 ELSE {pick(_d.u("outbound"), THREAD_LENGTHS)} END AS outbound
    FROM seed_conv
    WHERE channel = 'email'
    OFFSET 0
) t
CROSS JOIN LATERAL generate_series(1, t.inbound + t.outbound) AS j
) AS m
"""
