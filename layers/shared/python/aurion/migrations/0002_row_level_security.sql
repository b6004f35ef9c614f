-- Tenant isolation enforced by the database, not only by the WHERE clauses of our queries.
-- The functions connect as aurion_app: not the owner, no BYPASSRLS. Each request runs in one
-- transaction that calls set_config('app.tenant_id', <tenant>, true); without it no row is visible.

CREATE FUNCTION aurion_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    -- '' after a transaction-local setting ended, NULL when never set: both mean "no tenant".
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

DO $$
DECLARE
    t text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aurion_app') THEN
        CREATE ROLE aurion_app NOLOGIN NOBYPASSRLS;
    END IF;

    EXECUTE 'ALTER TABLE tenants ENABLE ROW LEVEL SECURITY';
    EXECUTE 'ALTER TABLE tenants FORCE ROW LEVEL SECURITY';
    EXECUTE 'CREATE POLICY tenant_isolation ON tenants USING (id = aurion_current_tenant())';

    FOREACH t IN ARRAY ARRAY[
        'teams', 'users', 'contacts', 'email_channels', 'help_center_articles', 'conversations',
        'csat_surveys', 'article_views', 'article_feedback', 'email_messages', 'calls', 'llm_usage',
        'export_schedules', 'exports', 'audit_log', 'api_keys'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = aurion_current_tenant()) '
            'WITH CHECK (tenant_id = aurion_current_tenant())', t);
    END LOOP;
END
$$;

-- Read-only helpdesk data.
GRANT SELECT ON tenants, teams, users, contacts, email_channels, help_center_articles, conversations,
    csat_surveys, article_views, article_feedback, email_messages, calls, llm_usage TO aurion_app;
-- What analytics writes itself.
GRANT SELECT, INSERT, UPDATE ON exports, api_keys TO aurion_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON export_schedules TO aurion_app;
GRANT SELECT, INSERT ON audit_log TO aurion_app;
GRANT EXECUTE ON FUNCTION aurion_current_tenant() TO aurion_app;
