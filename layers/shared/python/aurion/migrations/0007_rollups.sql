-- Daily rollups: the closed days of a range are read from here instead of scanning every conversation.
-- Maintained by the aggregator (aurion/rollups/aggregator.py, every 5 minutes); read by the metric queries
-- together with raw rows for the open edges of the range (aurion/rollups/window.py). docs/metrics.md,
-- "Rollups", states what is exact and what is estimated.

-- Which days of a tenant the rollups cover, and as of when. Days before rolled_until are in the rollup
-- tables; everything from rolled_until on is read raw.
CREATE TABLE rollup_state (
    tenant_id        uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    rolled_until     date NOT NULL,
    -- The aggregator run's clock: SLA outcomes of unanswered conversations are decided against it.
    as_of            timestamptz NOT NULL,
    -- Changes with updated_at after this were not seen yet (the next run starts from here, minus a margin).
    changes_seen_until timestamptz NOT NULL,
    last_run_ms      numeric NOT NULL,
    last_days_rebuilt integer NOT NULL
);

-- Per tenant, UTC day, dimension and key (the dimension's value as text; '' for "all" and for a null value).
CREATE TABLE conversation_daily (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day            date NOT NULL,
    dim            text NOT NULL,
    key            text NOT NULL,
    conversations  integer NOT NULL,
    resolved       integer NOT NULL,
    ai_resolved    integer NOT NULL,
    human_resolved integer NOT NULL,
    escalated      integer NOT NULL,
    fr_count       integer NOT NULL,
    fr_seconds     numeric NOT NULL,
    res_seconds    numeric NOT NULL,
    fr_met         integer NOT NULL,
    fr_breached    integer NOT NULL,
    res_met        integer NOT NULL,
    res_breached   integer NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, key)
);

-- Resolution times per tenant and day in log-spaced buckets, for medians (aurion_resolution_bucket).
CREATE TABLE conversation_resolution_histogram (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day       date NOT NULL,
    bucket    smallint NOT NULL,
    n         integer NOT NULL,
    PRIMARY KEY (tenant_id, day, bucket)
);

-- Bucket b holds resolution times s (seconds) with 1.01^b <= 1 + s < 1.01^(b+1): 1 % wide, so a median
-- interpolated inside its bucket is within 1 % of the exact one (docs/metrics.md).
CREATE FUNCTION aurion_resolution_bucket(seconds numeric) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT floor(ln(1 + greatest(seconds, 0)) / ln(1.01))::smallint $$;

CREATE FUNCTION aurion_bucket_lower(bucket smallint) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT power(1.01::numeric, bucket) - 1 $$;

-- Rows changed since the last run are found by updated_at, which the writer may forget to set: a trigger
-- keeps it honest. aurion_track_changes gives a fact table the column (when missing; a non-volatile default,
-- so existing rows are not rewritten), the trigger and the (tenant_id, updated_at) index the aggregator reads.
CREATE FUNCTION aurion_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE FUNCTION aurion_track_changes(t regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
    DECLARE
        name text := (SELECT relname FROM pg_class WHERE oid = t);
    BEGIN
        EXECUTE format('ALTER TABLE %s ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now()', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION aurion_touch_updated_at()',
                       name || '_touch', t);
        EXECUTE format('CREATE INDEX %I ON %s (tenant_id, updated_at)', name || '_tenant_updated_idx', t);
    END $$;

-- Every rollup table is tenant data like any other (0002): forced row-level security, the app role reads and
-- rewrites it. One function, so each rollup migration protects its tables the same way.
CREATE FUNCTION aurion_protect_rollup_table(t regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
    BEGIN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = aurion_current_tenant()) '
                       'WITH CHECK (tenant_id = aurion_current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO aurion_app', t);
    END $$;

-- CSAT answers arrive days after the survey was sent.
SELECT aurion_track_changes('conversations'), aurion_track_changes('csat_surveys');

-- An unanswered conversation turns from "not tracked" to "breached" when its due time passes, without any
-- write: the aggregator finds those through these (small: only open conversations are in them).
CREATE INDEX conversations_first_response_pending_idx ON conversations (tenant_id, first_response_due_at)
    WHERE first_response_at IS NULL AND first_response_due_at IS NOT NULL;
CREATE INDEX conversations_resolution_pending_idx ON conversations (tenant_id, resolution_due_at)
    WHERE resolved_at IS NULL AND resolution_due_at IS NOT NULL;

SELECT aurion_protect_rollup_table('rollup_state'), aurion_protect_rollup_table('conversation_daily'),
       aurion_protect_rollup_table('conversation_resolution_histogram');
GRANT EXECUTE ON FUNCTION aurion_resolution_bucket(numeric), aurion_bucket_lower(smallint) TO aurion_app;

-- The aggregator visits every tenant; the app role sees one tenant at a time (0002). One narrow door, as for
-- the export scheduler (0005): a SECURITY DEFINER function owned by a NOLOGIN role whose only policy lets it
-- read tenant ids.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aurion_aggregator') THEN
        CREATE ROLE aurion_aggregator NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT pg_has_role(current_user, 'aurion_aggregator', 'MEMBER') THEN
        EXECUTE format('GRANT aurion_aggregator TO %I', current_user);
    END IF;
END
$$;

GRANT SELECT (id) ON tenants TO aurion_aggregator;
CREATE POLICY aggregator_read ON tenants FOR SELECT TO aurion_aggregator USING (true);

CREATE FUNCTION aurion_rollup_tenants() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$ SELECT id FROM public.tenants ORDER BY id $$;

REVOKE ALL ON FUNCTION aurion_rollup_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_rollup_tenants() TO aurion_app;

GRANT CREATE ON SCHEMA public TO aurion_aggregator;
ALTER FUNCTION aurion_rollup_tenants() OWNER TO aurion_aggregator;
REVOKE CREATE ON SCHEMA public FROM aurion_aggregator;
