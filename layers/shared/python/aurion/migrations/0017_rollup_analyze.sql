-- The aggregator leaves the planner's statistics current for the rollups it rewrote: with autovacuum off or late,
-- a tenant's first rebuild left the tables "empty" to the planner, and the first requests after it ran ~4x slower
-- than after an ANALYZE. Only a table's owner may ANALYZE it: this door analyzes the rollup tables, and only those
-- that autovacuum's own default rule would (more rows modified since the last analyze than 50 + 10 % of the
-- table), so a cycle of small changes across many tenants costs one catalog query, not an ANALYZE per tenant.
-- Two runs finishing together: one analyzes a table, the other does not queue behind its lock.
CREATE FUNCTION aurion_rollup_analyze()
    RETURNS SETOF text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        t text;
    BEGIN
        FOR t IN
            SELECT s.relname::text
            FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE s.schemaname = 'public'
              AND s.relname = ANY (ARRAY['conversation_daily', 'conversation_resolution_histogram', 'csat_daily',
                                         'article_daily', 'email_daily', 'call_hourly', 'llm_hourly'])
              AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
            ORDER BY 1
        LOOP
            IF pg_try_advisory_xact_lock(hashtextextended('aurion-rollup-analyze:' || t, 0)) THEN
                EXECUTE format('ANALYZE public.%I', t);
                RETURN NEXT t;
            END IF;
        END LOOP;
    END
    $$;
REVOKE ALL ON FUNCTION aurion_rollup_analyze() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_rollup_analyze() TO aurion_app;
