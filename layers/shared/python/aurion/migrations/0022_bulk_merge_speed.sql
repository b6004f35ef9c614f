-- The bulk loader's ANALYZE, judged per table by what the file changed for its tenant (docs/ingestion.md, "How a
-- file is loaded"; aurion/ingest/bulk.py).
--
-- 0015's door analyzed every table a large file wrote. ANALYZE samples 30,000 rows whatever the table's size, so
-- in tables of millions of rows it costs 0.5-1 s each (4.1 s for the 8 tables of a history file, in the
-- benchmark's database of 11 million conversations), also when the file added 3 % to its tenant's rows: as much
-- as loading 8,000 conversations. A tenant's plans read its rows' count from the statistics of tenant_id (its
-- frequency among the most common values, times the table's rows). A table is analyzed when that count is unknown
-- (never analyzed, or the tenant not among the common values: a new tenant's backfill) or when the file wrote more
-- than a tenth of it, PostgreSQL's own threshold for autovacuum's ANALYZE (autovacuum_analyze_scale_factor).
-- Returns the tables analyzed. 0015's aurion_ingest_analyze stays for a loader of the previous release.
CREATE FUNCTION aurion_ingest_analyze_changed(tables text[], written bigint[])
    RETURNS text[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        me uuid := public.aurion_current_tenant();
        t text;
        known double precision;
        analyzed text[] := '{}';
    BEGIN
        FOR i IN 1 .. coalesce(array_length(tables, 1), 0) LOOP
            t := tables[i];
            CONTINUE WHEN NOT t = ANY (ARRAY['tenants', 'teams', 'users', 'contacts', 'email_channels',
                                             'help_center_articles', 'conversations', 'csat_surveys',
                                             'article_views', 'article_feedback', 'email_messages', 'calls',
                                             'llm_usage']);
            -- The planner's count of the tenant's rows, as it estimates tenant_id = me (null: it does not know).
            SELECT s.most_common_freqs[array_position(CAST(CAST(s.most_common_vals AS text) AS uuid[]), me)]
                   * nullif(greatest(c.reltuples, 0), 0)
            INTO known
            FROM pg_class AS c
            JOIN pg_stats AS s ON s.schemaname = 'public' AND s.tablename = c.relname AND s.attname = 'tenant_id'
            WHERE c.oid = CAST(format('public.%I', t) AS regclass);
            IF known IS NULL OR written[i] > 0.1 * known THEN
                EXECUTE format('ANALYZE public.%I', t);
                analyzed := analyzed || t;
            END IF;
        END LOOP;
        RETURN analyzed;
    END
    $$;
REVOKE ALL ON FUNCTION aurion_ingest_analyze_changed(text[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_ingest_analyze_changed(text[], bigint[]) TO aurion_ingest;
