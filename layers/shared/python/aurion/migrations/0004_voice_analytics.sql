-- Voice analytics (v1): the LLM tokens of the calls of a range.
--
-- usage-patterns' avg_tokens_per_call adds up the tokens of the LLM requests linked to the calls started in the
-- range. Nothing indexed llm_usage by call, so PostgreSQL read every usage row of the tenant to find them
-- (measured on a 300,000-call, 450,000-request tenant: 150-250 ms of a 37-day request, whatever the range).
-- A request for a call is never made before the call started, so the query only looks at requests made from
-- the start of the range on (with an hour of slack for clocks): this index serves that as an index-only range
-- scan (tenant_id first, as row-level security filters on it; call and token counts included, so no table row
-- is read), and leaves out the helpdesk's requests, which are linked to no call. 37 days ending today: ~50 ms.
CREATE INDEX llm_usage_tenant_call_requests_idx ON llm_usage (tenant_id, requested_at)
    INCLUDE (call_id, input_tokens, output_tokens)
    WHERE call_id IS NOT NULL;
