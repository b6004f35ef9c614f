-- Bulk imports: history files under imports/<tenant_id>/<import_id>/ in the import bucket, loaded by the
-- bulk_import function (aurion/ingest/bulk.py, docs/ingestion.md "Bulk path") under the live path's rules.
--
-- One row per file of an import: its progress is the checkpoint. The loader commits each chunk of lines with
-- the chunk's rows, its rejects and the new line offset in one transaction, so a loader killed half-way and
-- started again skips exactly what was committed (and the merge is idempotent anyway).

CREATE TABLE import_files (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    import_id      uuid NOT NULL,
    -- The object's key below the import's prefix (the file's name, as the tenant chose it).
    file_name      text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 1024),
    -- The object's ETag: a file replaced under the same key is another file, loaded from its first line.
    etag           text NOT NULL CHECK (length(etag) <= 200),
    status         text NOT NULL DEFAULT 'loading' CHECK (status IN ('loading', 'completed', 'failed')),
    -- Lines committed so far (the checkpoint), and their counts.
    lines_done     bigint NOT NULL DEFAULT 0 CHECK (lines_done >= 0),
    rows_read      bigint NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    rows_applied   bigint NOT NULL DEFAULT 0 CHECK (rows_applied >= 0),
    rows_unchanged bigint NOT NULL DEFAULT 0 CHECK (rows_unchanged >= 0),
    rows_rejected  bigint NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
    -- Why the file failed as a whole (not a row's reason): a type and a place, never its content.
    error          text CHECK (length(error) <= 500),
    started_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    PRIMARY KEY (tenant_id, import_id, file_name)
);
CREATE INDEX import_files_tenant_started_idx ON import_files (tenant_id, started_at DESC);

-- A refused line: its number (1-based) and why, never its content (it carries names, emails, numbers).
CREATE TABLE import_rejects (
    tenant_id  uuid NOT NULL,
    import_id  uuid NOT NULL,
    file_name  text NOT NULL,
    line       bigint NOT NULL CHECK (line >= 1),
    reason     text NOT NULL CHECK (length(reason) <= 2000),
    PRIMARY KEY (tenant_id, import_id, file_name, line),
    FOREIGN KEY (tenant_id, import_id, file_name) REFERENCES import_files ON DELETE CASCADE
);

ALTER TABLE import_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_files
    USING (tenant_id = aurion_current_tenant()) WITH CHECK (tenant_id = aurion_current_tenant());
ALTER TABLE import_rejects ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_rejects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_rejects
    USING (tenant_id = aurion_current_tenant()) WITH CHECK (tenant_id = aurion_current_tenant());

-- Written by the loader as the ingest role; read by the API functions, for an admin's view of the import.
GRANT SELECT, INSERT, UPDATE ON import_files TO aurion_ingest;
-- DELETE: a file replaced under its name starts over, its old rejects with it.
GRANT SELECT, INSERT, DELETE ON import_rejects TO aurion_ingest;
GRANT SELECT ON import_files, import_rejects TO aurion_app;

-- After a large load the planner's statistics must be current at once (autovacuum may be off or late), but only
-- a table's owner may ANALYZE it. This door analyzes the helpdesk tables a load writes, and nothing else.
CREATE FUNCTION aurion_ingest_analyze(tables text[])
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        t text;
    BEGIN
        FOREACH t IN ARRAY tables LOOP
            IF t = ANY (ARRAY['tenants', 'teams', 'users', 'contacts', 'email_channels', 'help_center_articles',
                              'conversations', 'csat_surveys', 'article_views', 'article_feedback',
                              'email_messages', 'calls', 'llm_usage']) THEN
                EXECUTE format('ANALYZE public.%I', t);
            END IF;
        END LOOP;
    END
    $$;
REVOKE ALL ON FUNCTION aurion_ingest_analyze(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_ingest_analyze(text[]) TO aurion_ingest;
