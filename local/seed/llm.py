"""LLM usage: one to three model requests per AI-handled conversation and per answered or recorded call."""

from __future__ import annotations

from local.seed import vocab
from local.seed.helpers import row_id
from local.seed.sqlkit import Draws, lit, num_array, pick, pick_literal

ERROR_SHARE = 0.01

_d = Draws("llm", key="key")


def _requests(key: str) -> str:
    """How many model requests a conversation or call made: 1 to 3, usually 1."""
    return f"1 + ({_d.u('second', key)} < 0.45)::int + ({_d.u('third', key)} < 0.15)::int"


def insert_usage_sql(with_calls: bool) -> str:
    provider = pick(_d.u("provider"), [(str(i), share) for i, (_, share, _, _) in enumerate(vocab.LLM_PROVIDERS, 1)])
    model = (
        "CASE provider_i "
        + " ".join(
            f"WHEN {i} THEN {pick_literal(_d.u('model'), models)}"
            for i, (_, _, models, _) in enumerate(vocab.LLM_PROVIDERS, 1)
        )
        + " END"
    )
    names = "ARRAY[" + ", ".join(lit(name) for name, _, _, _ in vocab.LLM_PROVIDERS) + "]"
    latency = num_array([median for _, _, _, median in vocab.LLM_PROVIDERS])
    calls = ""
    if with_calls:
        # Keys 8n + 1..3 are conversation n's requests, 8n + 5..7 call n's: distinct ids and draws.
        calls = f"""
        UNION ALL
        SELECT k.cn * 8 + 4 + r, k.id, NULL::uuid,
               least(pg_temp.seed_end(), k.started_at + (k.duration_seconds * r / 4.0)::float8 * interval '1 second'),
               2600
        FROM seed_calls k
        CROSS JOIN LATERAL generate_series(1, {_requests("k.cn * 8 + 4")}) AS r
        WHERE k.status = 'completed' OR k.outcome = 'voicemail'"""
    return f"""
INSERT INTO llm_usage (id, tenant_id, call_id, conversation_id, provider, model, requested_at, input_tokens,
                       output_tokens, latency_ms, is_error, updated_at)
OVERRIDING SYSTEM VALUE
SELECT {row_id("key")}, pg_temp.seed_tenant(), call_id, conversation_id, ({names})[provider_i], {model}, requested_at,
       input_tokens,
       CASE WHEN is_error THEN 0 ELSE output_tokens END,
       -- Failed requests are time-outs or fast refusals.
       CASE WHEN NOT is_error THEN latency_ms WHEN {_d.u("timeout")} < 0.5 THEN 30000
            ELSE 100 + floor(400 * {_d.u("refusal")})::int END,
       is_error,
       -- Logged when made (same seed, same rows).
       requested_at
FROM (
    SELECT key, call_id, conversation_id, requested_at, provider_i,
           round({_d.lognormal("input", "context_tokens", 0.5)})::int AS input_tokens,
           round({_d.lognormal("output", 220, 0.6)})::int AS output_tokens,
           round({_d.lognormal("latency", f"({latency})[provider_i]", 0.45)})::int AS latency_ms,
           {_d.u("error")} < {ERROR_SHARE} AS is_error
    FROM (
        SELECT key, call_id, conversation_id, requested_at, context_tokens, {provider} AS provider_i
        FROM (
            SELECT c.n * 8 + r AS key, NULL::uuid AS call_id, c.id AS conversation_id,
                   -- The AI drafts within seconds of the message, then again as the thread goes on.
                   least(pg_temp.seed_end(), c.created_at + (3 + 12 * {_d.u("delay", "c.n * 8 + r")}
                         + (r - 1) * (30 + 90 * {_d.u("gap", "c.n * 8 + r")})) * interval '1 second') AS requested_at,
                   1800 AS context_tokens
            FROM seed_conv c
            CROSS JOIN LATERAL generate_series(1, {_requests("c.n * 8")}) AS r
            WHERE c.ai_touched{calls}
        ) requests
        OFFSET 0
    ) routed
    OFFSET 0
) measured
"""
