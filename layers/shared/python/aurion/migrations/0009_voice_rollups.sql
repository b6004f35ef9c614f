-- Hourly rollups of calls and LLM requests (aurion/rollups/voice.py), maintained by the same aggregator run as
-- conversation_daily (0007) and read the same way: rollup hours plus raw edges, summed. The v1 voice routes
-- bucket by local day, hour, weekday and month in the caller's time zone: a UTC hour lies inside one local hour
-- whenever the zone's offset is a whole number of hours, hence hours, not days. docs/metrics.md, "Rollups",
-- "Voice", states what is exact.

-- Calls per tenant, UTC hour of started_at, dimension and key: dim 'outcome' (key = the outcome; call-metrics
-- filters and groups by it, the other routes sum over it) and dim 'category' (key = the category, null for
-- calls without one; resolution-rates groups by it). Every measure is a count or an exact integer sum.
CREATE TABLE call_hourly (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hour               timestamptz NOT NULL,
    dim                text NOT NULL,
    key                text,
    calls              integer NOT NULL,
    completed          integer NOT NULL,
    failed             integer NOT NULL,
    -- Completed calls with a duration, and the sum of those durations (avg_duration_seconds).
    completed_timed    integer NOT NULL,
    completed_seconds  bigint NOT NULL,
    fcr                integer NOT NULL,
    -- Outcome 'resolved' or resolved on first contact.
    resolved           integer NOT NULL,
    tickets            integer NOT NULL,
    escalated          integer NOT NULL,
    -- Calls with a resolution time, and the sum of those times.
    timed              integer NOT NULL,
    resolution_seconds bigint NOT NULL,
    -- Input + output tokens of the LLM requests linked to these calls, whenever made.
    tokens             bigint NOT NULL
);
-- A null category is its own key, distinct from any text.
CREATE UNIQUE INDEX call_hourly_key_idx ON call_hourly (tenant_id, dim, hour, coalesce(key, ''), (key IS NULL));

-- LLM requests per tenant, UTC hour of requested_at and provider (usage-patterns' llm_usage block).
CREATE TABLE llm_hourly (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hour          timestamptz NOT NULL,
    provider      text NOT NULL,
    requests      integer NOT NULL,
    input_tokens  bigint NOT NULL,
    output_tokens bigint NOT NULL,
    latency_ms    bigint NOT NULL,
    errors        integer NOT NULL,
    PRIMARY KEY (tenant_id, hour, provider)
);

-- Calls are updated after they end (outcome, resolution, category) and inserted late; LLM requests are logged
-- after the fact and link a call's tokens to its hour: the aggregator finds both by updated_at.
SELECT aurion_track_changes('calls'), aurion_track_changes('llm_usage');

-- The tokens of a call: its requests, whenever made. The raw edges of a range hold a few hundred calls; this
-- finds their requests by probe (index only) instead of reading every request of the tenant.
CREATE INDEX llm_usage_tenant_call_idx ON llm_usage (tenant_id, call_id) INCLUDE (input_tokens, output_tokens)
    WHERE call_id IS NOT NULL;

SELECT aurion_protect_rollup_table('call_hourly'), aurion_protect_rollup_table('llm_hourly');

-- rollup_state says which days every family covers, and these tables start empty: forget it, so the next
-- aggregator run takes the first-run path and rebuilds every day of every family (queries read raw until then).
TRUNCATE rollup_state;
