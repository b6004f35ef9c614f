-- The aggregator scales with change, not with tenants (aurion/rollups/dispatch.py, docs/metrics.md "Rollups").
--
-- 1. rollup_changes: which tenants wrote to a rollup source since their last run. Statement triggers note the
--    tenants of every INSERT, UPDATE and DELETE (one row per statement and tenant), so the dispatcher finds the
--    tenants with work in one query instead of probing every tenant. A log, not an upsert of one row per tenant:
--    a run deletes the rows it can see when it starts, so a write that commits during the run leaves its row for
--    the next cycle (an upsert that found the row present would have been deleted with it, and lost).
-- 2. rollup_parts: a large first rebuild (or a long gap) split by month; each part rebuilds its days and commits,
--    the last one to finish moves the watermark (rollup_state).
-- 3. rollup_dispatches: when the dispatcher last looked (deadlines passed since then make their tenants due).
-- 4. aurion_rollup_due: the one query of a cycle, across tenants (a SECURITY DEFINER door, as 0007's).

-- 1. The change log ----------------------------------------------------------------------------------------------

CREATE TABLE rollup_changes (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rollup_changes_tenant_idx ON rollup_changes (tenant_id, changed_at);

ALTER TABLE rollup_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rollup_changes
    USING (tenant_id = aurion_current_tenant()) WITH CHECK (tenant_id = aurion_current_tenant());
-- A tenant's run (aurion_app) deletes its own rows; the triggers and the dispatcher's door (aurion_aggregator)
-- write and read every tenant's.
GRANT SELECT, DELETE ON rollup_changes TO aurion_app;
GRANT SELECT, INSERT ON rollup_changes TO aurion_aggregator;
CREATE POLICY aggregator_log ON rollup_changes FOR INSERT TO aurion_aggregator WITH CHECK (true);
CREATE POLICY aggregator_read ON rollup_changes FOR SELECT TO aurion_aggregator USING (true);

-- One INSERT per statement over its transition table: a COPY of 100,000 rows of one tenant adds one row here.
-- A tenant being deleted takes its rows with it: nothing to note then (as 0014's triggers).
CREATE FUNCTION aurion_note_changed_tenants() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
        INSERT INTO public.rollup_changes (tenant_id)
        SELECT DISTINCT r.tenant_id FROM changed_rows AS r
        WHERE EXISTS (SELECT FROM public.tenants AS t WHERE t.id = r.tenant_id);
        RETURN NULL;
    END $$;

GRANT CREATE ON SCHEMA public TO aurion_aggregator;
ALTER FUNCTION aurion_note_changed_tenants() OWNER TO aurion_aggregator;
REVOKE CREATE ON SCHEMA public FROM aurion_aggregator;

-- A statement trigger may name one transition table and fire on one event for it: three triggers per table.
-- UPDATE notes the new rows only: a row moved to another tenant is noted for its old tenant by 0014's moved-day
-- trigger, whose rollup_moved_days row is itself a change (below).
CREATE FUNCTION aurion_log_changes(t regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
    DECLARE
        name text := (SELECT relname FROM pg_class WHERE oid = t);
    BEGIN
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS changed_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION aurion_note_changed_tenants()', name || '_log_inserts', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING NEW TABLE AS changed_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION aurion_note_changed_tenants()', name || '_log_updates', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS changed_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION aurion_note_changed_tenants()', name || '_log_deletes', t);
    END $$;

SELECT aurion_log_changes('conversations'), aurion_log_changes('csat_surveys'), aurion_log_changes('article_views'),
       aurion_log_changes('article_feedback'), aurion_log_changes('email_messages'), aurion_log_changes('calls'),
       aurion_log_changes('llm_usage');
CREATE TRIGGER rollup_moved_days_log_inserts AFTER INSERT ON rollup_moved_days REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION aurion_note_changed_tenants();

-- Every tenant is due once after this migration: its data was written before the triggers existed.
INSERT INTO rollup_changes (tenant_id) SELECT id FROM tenants;

-- 2. Month parts of a large rebuild ----------------------------------------------------------------------------

CREATE TABLE rollup_parts (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    first_day          date NOT NULL,
    last_day           date NOT NULL CHECK (last_day >= first_day),
    -- The clock the parts judge deadlines by.
    as_of              timestamptz NOT NULL,
    -- What rollup_state records once every part is done (aurion/rollups/parts.py says why these clocks).
    rolled_until       date NOT NULL,
    state_as_of        timestamptz NOT NULL,
    changes_seen_until timestamptz NOT NULL,
    enqueued_at        timestamptz NOT NULL DEFAULT now(),
    done_at            timestamptz,
    days_rebuilt       integer,
    PRIMARY KEY (tenant_id, first_day)
);
SELECT aurion_protect_rollup_table('rollup_parts');

-- 3. The dispatcher's own clock ---------------------------------------------------------------------------------

-- One row, no tenant data: the run clock of the last cycle that queued its work.
CREATE TABLE rollup_dispatches (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    as_of timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON rollup_dispatches TO aurion_app;

-- 4. The cycle's query --------------------------------------------------------------------------------------------

-- Deadlines across tenants: 0007's pending indexes lead with tenant_id, these with the due time.
CREATE INDEX conversations_first_response_due_idx ON conversations (first_response_due_at) INCLUDE (tenant_id)
    WHERE first_response_at IS NULL AND first_response_due_at IS NOT NULL;
CREATE INDEX conversations_resolution_due_idx ON conversations (resolution_due_at) INCLUDE (tenant_id)
    WHERE resolved_at IS NULL AND resolution_due_at IS NOT NULL;

GRANT SELECT (tenant_id, first_response_at, first_response_due_at, resolved_at, resolution_due_at)
    ON conversations TO aurion_aggregator;
CREATE POLICY aggregator_deadlines ON conversations FOR SELECT TO aurion_aggregator USING (true);
GRANT SELECT (tenant_id, rolled_until) ON rollup_state TO aurion_aggregator;
CREATE POLICY aggregator_read ON rollup_state FOR SELECT TO aurion_aggregator USING (true);
GRANT SELECT (tenant_id) ON rollup_parts TO aurion_aggregator;
CREATE POLICY aggregator_read ON rollup_parts FOR SELECT TO aurion_aggregator USING (true);

-- The tenants with work: changes logged, a day closed since their watermark, a deadline passed in
-- (due_since, as_of], a split rebuild under way, or never rolled up. Per tenant: its watermark (null: never rolled up), whether a
-- plan is open, and its oldest logged change (for the lag metric). Tenant ids and dates only.
CREATE OR REPLACE FUNCTION aurion_rollup_due(today date, due_since timestamptz, as_of timestamptz)
    RETURNS TABLE (tenant_id uuid, rolled_until date, planned boolean, oldest_change timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    WITH changed AS (
        SELECT c.tenant_id, min(c.changed_at) AS oldest FROM public.rollup_changes AS c GROUP BY c.tenant_id
    ), due AS (
        SELECT changed.tenant_id FROM changed
        UNION SELECT s.tenant_id FROM public.rollup_state AS s WHERE s.rolled_until < today
        UNION SELECT v.tenant_id FROM public.conversations AS v
              WHERE v.first_response_at IS NULL AND v.first_response_due_at IS NOT NULL
                AND v.first_response_due_at > due_since AND v.first_response_due_at <= as_of
        UNION SELECT v.tenant_id FROM public.conversations AS v
              WHERE v.resolved_at IS NULL AND v.resolution_due_at IS NOT NULL
                AND v.resolution_due_at > due_since AND v.resolution_due_at <= as_of
        UNION SELECT p.tenant_id FROM public.rollup_parts AS p
        -- Never rolled up: also the tenants written by a path that bypasses triggers (the dev seed runs with
        -- session_replication_role = replica); a tenant without data is rolled up once, to an empty state.
        UNION SELECT n.id FROM public.tenants AS n
              WHERE NOT EXISTS (SELECT FROM public.rollup_state AS s WHERE s.tenant_id = n.id)
    )
    SELECT due.tenant_id, s.rolled_until,
           EXISTS (SELECT FROM public.rollup_parts AS p WHERE p.tenant_id = due.tenant_id), changed.oldest
    FROM due
    JOIN public.tenants AS t ON t.id = due.tenant_id
    LEFT JOIN public.rollup_state AS s ON s.tenant_id = due.tenant_id
    LEFT JOIN changed ON changed.tenant_id = due.tenant_id
    ORDER BY due.tenant_id
    $$;

REVOKE ALL ON FUNCTION aurion_rollup_due(date, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_rollup_due(date, timestamptz, timestamptz) TO aurion_app;
GRANT CREATE ON SCHEMA public TO aurion_aggregator;
ALTER FUNCTION aurion_rollup_due(date, timestamptz, timestamptz) OWNER TO aurion_aggregator;
REVOKE CREATE ON SCHEMA public FROM aurion_aggregator;
