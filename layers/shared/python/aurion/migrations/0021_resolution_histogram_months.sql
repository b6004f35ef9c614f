-- A median over a year merged every daily histogram row of the range: ~1,000 buckets a day, 257,000 rows for the
-- 1,000,000-conversation benchmark tenant and 356,000 for the 10,000,000 one, the heaviest query of the overview,
-- insights, aggregation health and unified overview. The same buckets summed per UTC calendar month: a range
-- reads its whole months here and only the days around them from the daily table. The counts are the daily
-- rows' sums, so every median is the one the daily rows give. The aggregator refreshes a month whenever it
-- rewrites one of its days, in the same transaction (aurion/rollups/conversations.py).
CREATE TABLE conversation_resolution_histogram_monthly (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month     date NOT NULL CHECK (month = date_trunc('month', month)::date),  -- its first day
    bucket    smallint NOT NULL,
    n         integer NOT NULL,
    PRIMARY KEY (tenant_id, month, bucket)
);

-- Tenants rolled up before this migration: their months from the days they have. The daily table's policy would
-- show the owner no tenant's rows; its forced row-level security is lifted for this one statement only (the
-- migration is one transaction: no other session ever sees it lifted).
ALTER TABLE conversation_resolution_histogram NO FORCE ROW LEVEL SECURITY;
INSERT INTO conversation_resolution_histogram_monthly (tenant_id, month, bucket, n)
SELECT tenant_id, date_trunc('month', day)::date, bucket, sum(n)
FROM conversation_resolution_histogram
GROUP BY 1, 2, 3;
ALTER TABLE conversation_resolution_histogram FORCE ROW LEVEL SECURITY;

SELECT aurion_protect_rollup_table('conversation_resolution_histogram_monthly');

-- 0017's door, with the new table among those it keeps analyzed.
CREATE OR REPLACE FUNCTION aurion_rollup_analyze()
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
              AND s.relname = ANY (ARRAY['conversation_daily', 'conversation_resolution_histogram',
                                         'conversation_resolution_histogram_monthly', 'csat_daily',
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
