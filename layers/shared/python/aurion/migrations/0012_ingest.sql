-- Ingestion: the helpdesk's events become rows of the helpdesk tables (aurion/ingest, docs/ingestion.md).
--
-- Analytics is a read model of the helpdesk. Each event is a snapshot of one entity with the source's version;
-- the consumer upserts it when it is newer than what the row holds. What that needs from the schema:
--   1. source_version on every ingested table (the newest applied version; NULL for rows written before
--      ingestion existed, which any event replaces), and a source id on the tables whose ids are ours;
--   2. no foreign keys between helpdesk tables: events arrive in any order, so a conversation may come before its
--      team, agent or contact. It is stored as it is and joins its team when the team arrives (every reader
--      already joins with LEFT JOIN or looks names up by id). The tenant_id keys stay: a tenant exists before
--      its data (the consumer holds events of an unknown tenant and retries them);
--   3. a role that may write them, under row-level security, and one narrow door to check that an event's
--      references do not point into another tenant;
--   4. a table of rejected events, with their reasons.

-- 1. Versions and source ids -------------------------------------------------------------------------------------

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'tenants', 'teams', 'users', 'contacts', 'email_channels', 'help_center_articles', 'conversations',
        'csat_surveys', 'article_views', 'article_feedback', 'email_messages', 'calls', 'llm_usage'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN source_version bigint', t);
    END LOOP;
    -- These tables number their rows themselves (bigint identity): the helpdesk's id of the row is kept beside
    -- it, unique per tenant (another tenant's source may use the same id without clashing).
    FOREACH t IN ARRAY ARRAY['article_views', 'article_feedback', 'email_messages', 'llm_usage'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN source_id uuid', t);
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (tenant_id, source_id) WHERE source_id IS NOT NULL',
                       t || '_source_id_idx', t);
    END LOOP;
END
$$;

-- 2. References without foreign keys ------------------------------------------------------------------------------

ALTER TABLE users DROP CONSTRAINT users_team_id_fkey;
ALTER TABLE conversations
    DROP CONSTRAINT conversations_contact_id_fkey,
    DROP CONSTRAINT conversations_assignee_user_id_fkey,
    DROP CONSTRAINT conversations_team_id_fkey,
    DROP CONSTRAINT conversations_email_channel_id_fkey,
    DROP CONSTRAINT conversations_kb_article_id_fkey;
ALTER TABLE csat_surveys
    DROP CONSTRAINT csat_surveys_conversation_id_fkey,
    DROP CONSTRAINT csat_surveys_contact_id_fkey;
ALTER TABLE article_views DROP CONSTRAINT article_views_article_id_fkey;
ALTER TABLE article_feedback DROP CONSTRAINT article_feedback_article_id_fkey;
ALTER TABLE email_messages
    DROP CONSTRAINT email_messages_email_channel_id_fkey,
    DROP CONSTRAINT email_messages_conversation_id_fkey;
ALTER TABLE calls DROP CONSTRAINT calls_conversation_id_fkey;
ALTER TABLE llm_usage
    DROP CONSTRAINT llm_usage_call_id_fkey,
    DROP CONSTRAINT llm_usage_conversation_id_fkey;
-- The rollups of views and messages of an article or mailbox that has not arrived yet are facts like any other.
ALTER TABLE article_daily DROP CONSTRAINT article_daily_article_id_fkey;
ALTER TABLE email_daily DROP CONSTRAINT email_daily_channel_id_fkey;
-- A slug moving from one article to another arrives as two events in either order: analytics does not enforce
-- the helpdesk's uniqueness rules, it mirrors them.
ALTER TABLE help_center_articles DROP CONSTRAINT help_center_articles_tenant_id_slug_key;

-- 3. The ingest role and the reference door ----------------------------------------------------------------------
--
-- aurion_ingest holds the write privileges. The functions' login (aurion_app) is a member but does not inherit
-- them: an API transaction stays read-only on helpdesk data, and only the ingest consumer switches to the role
-- (SET LOCAL ROLE, per transaction). Row-level security applies to it as to aurion_app (the policies of 0002
-- are for every role), so it writes only into the tenant its transaction names.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aurion_ingest') THEN
        CREATE ROLE aurion_ingest NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aurion_ingest_resolver') THEN
        CREATE ROLE aurion_ingest_resolver NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT pg_has_role(current_user, 'aurion_ingest_resolver', 'MEMBER') THEN
        EXECUTE format('GRANT aurion_ingest_resolver TO %I', current_user);
    END IF;
END
$$;
ALTER ROLE aurion_app NOINHERIT;
GRANT aurion_ingest TO aurion_app;

GRANT SELECT, INSERT, UPDATE ON teams, users, contacts, email_channels, help_center_articles, conversations,
    csat_surveys, article_views, article_feedback, email_messages, calls, llm_usage TO aurion_ingest;
-- A tenant's api_keys_enabled is the tenant admin's choice in analytics, never the helpdesk's.
GRANT SELECT ON tenants TO aurion_ingest;
GRANT INSERT (id, slug, name, plan, products, created_at, source_version),
      UPDATE (slug, name, plan, products, created_at, source_version) ON tenants TO aurion_ingest;
GRANT EXECUTE ON FUNCTION aurion_current_tenant() TO aurion_ingest;

-- An event of tenant A naming a team (contact, conversation, ...) that exists in tenant B is rejected; the
-- ingest role cannot see B's rows. aurion_ingest_foreign_ids(kinds, ids) answers, for (table, id) pairs, which
-- ids are rows of another tenant than the transaction's, and nothing else: the caller learns only that an id
-- it already holds is taken. SECURITY DEFINER, owned by a NOLOGIN role whose only policies let it read ids and
-- tenants of these tables, as for the scheduler (0005) and the aggregator (0007).
GRANT SELECT (id, tenant_id) ON teams, users, contacts, email_channels, help_center_articles, conversations,
    csat_surveys, calls TO aurion_ingest_resolver;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'teams', 'users', 'contacts', 'email_channels', 'help_center_articles', 'conversations', 'csat_surveys',
        'calls'
    ] LOOP
        EXECUTE format('CREATE POLICY ingest_resolver_read ON %I FOR SELECT TO aurion_ingest_resolver USING (true)', t);
    END LOOP;
END
$$;

CREATE FUNCTION aurion_ingest_foreign_ids(kinds text[], ids uuid[])
    RETURNS TABLE (kind text, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    -- A definer function must not resolve names through a search_path its caller controls.
    SET search_path = pg_catalog, public
    AS $$
        -- One primary-key lookup per id and table (id = ANY (...)), whatever the size of the tables: a subquery
        -- per pair would let the planner hash every other tenant's ids instead. Without a tenant set, every
        -- existing id counts as foreign (IS DISTINCT FROM NULL).
        WITH wanted AS (SELECT w.kind, w.id FROM unnest(kinds, ids) AS w (kind, id)),
        me AS (SELECT public.aurion_current_tenant() AS tenant_id)
        SELECT 'teams', x.id FROM me, public.teams AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'teams'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
        UNION ALL
        SELECT 'users', x.id FROM me, public.users AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'users'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
        UNION ALL
        SELECT 'contacts', x.id FROM me, public.contacts AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'contacts'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
        UNION ALL
        SELECT 'email_channels', x.id FROM me, public.email_channels AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'email_channels'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
        UNION ALL
        SELECT 'help_center_articles', x.id FROM me, public.help_center_articles AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'help_center_articles'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
        UNION ALL
        SELECT 'conversations', x.id FROM me, public.conversations AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'conversations'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
        UNION ALL
        SELECT 'csat_surveys', x.id FROM me, public.csat_surveys AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'csat_surveys'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
        UNION ALL
        SELECT 'calls', x.id FROM me, public.calls AS x
        WHERE x.id = ANY (ARRAY(SELECT w.id FROM wanted AS w WHERE w.kind = 'calls'))
          AND x.tenant_id IS DISTINCT FROM me.tenant_id
    $$;

REVOKE ALL ON FUNCTION aurion_ingest_foreign_ids(text[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_ingest_foreign_ids(text[], uuid[]) TO aurion_ingest;

GRANT CREATE ON SCHEMA public TO aurion_ingest_resolver;
ALTER FUNCTION aurion_ingest_foreign_ids(text[], uuid[]) OWNER TO aurion_ingest_resolver;
REVOKE CREATE ON SCHEMA public FROM aurion_ingest_resolver;

-- 4. Rejected events ---------------------------------------------------------------------------------------------
--
-- Ids and a reason only, never the event's content (it carries names, emails, numbers). event_key is the
-- envelope's event_id, or "message:<SQS message id>" when the event has none usable: one row per event, however
-- often it is delivered.
CREATE TABLE ingest_rejections (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_key      text NOT NULL CHECK (length(event_key) <= 200),
    event_type     text CHECK (length(event_type) <= 100),
    entity_id      text CHECK (length(entity_id) <= 100),
    source_version bigint,
    reason         text NOT NULL CHECK (length(reason) <= 2000),
    message_id     text CHECK (length(message_id) <= 200),
    rejected_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, event_key)
);
CREATE INDEX ingest_rejections_tenant_rejected_idx ON ingest_rejections (tenant_id, rejected_at);

ALTER TABLE ingest_rejections ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingest_rejections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ingest_rejections
    USING (tenant_id = aurion_current_tenant()) WITH CHECK (tenant_id = aurion_current_tenant());
GRANT SELECT, INSERT ON ingest_rejections TO aurion_ingest;
-- Readable by the API functions, for an admin's view of what was refused.
GRANT SELECT ON ingest_rejections TO aurion_app;
