-- Exports that reach people (issue 17, docs/exports.md "Destinations and delivery"): where a finished export is
-- delivered (an e-mail with the download link, or a signed HTTPS webhook), which schedules and on-demand exports
-- notify which destinations, and the delivery log an admin reads.
--
-- A webhook's signing secret is not stored: it is HMAC(deployment key, destination id + secret_salt), shown once at
-- creation and recomputed by the delivery function (aurion.exports.webhooks). The salt alone signs nothing.
-- An e-mail destination delivers only once verified: a tenant user's own address is verified at creation, any
-- other address when the confirmation token e-mailed to it comes back (only its SHA-256 is kept).
CREATE TABLE export_destinations (
    id                      uuid PRIMARY KEY,
    tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind                    text NOT NULL CHECK (kind IN ('email', 'webhook')),
    name                    text NOT NULL,
    email                   text,
    url                     text,
    secret_salt             text,
    verified_at             timestamptz,
    verification_token_hash text CHECK (verification_token_hash ~ '^[0-9a-f]{64}$'),
    verification_expires_at timestamptz,
    enabled                 boolean NOT NULL DEFAULT true,
    disabled_reason         text,
    disabled_at             timestamptz,
    consecutive_failures    integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    created_by              uuid NOT NULL,
    created_at              timestamptz NOT NULL,
    CONSTRAINT export_destinations_shape CHECK (
        (kind = 'email' AND email IS NOT NULL AND url IS NULL AND secret_salt IS NULL)
        OR (kind = 'webhook' AND url IS NOT NULL AND email IS NULL AND secret_salt IS NOT NULL)
    ),
    CONSTRAINT export_destinations_disabled_says_why CHECK (enabled OR disabled_reason IS NOT NULL)
);
CREATE INDEX export_destinations_tenant_idx ON export_destinations (tenant_id, created_at DESC);

-- Which destinations a schedule's exports go to.
CREATE TABLE export_schedule_destinations (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    schedule_id    uuid NOT NULL REFERENCES export_schedules (id) ON DELETE CASCADE,
    destination_id uuid NOT NULL REFERENCES export_destinations (id) ON DELETE CASCADE,
    PRIMARY KEY (schedule_id, destination_id)
);

-- One delivery of one export to one destination, with its outcome: the delivery log.
CREATE TABLE export_deliveries (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    export_id        uuid NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    destination_id   uuid NOT NULL REFERENCES export_destinations (id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status_code integer,
    last_error       text,
    created_at       timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    UNIQUE (export_id, destination_id)
);
CREATE INDEX export_deliveries_destination_idx ON export_deliveries (destination_id, created_at DESC);

-- The destinations an on-demand export asked to notify (a scheduled one uses its schedule's at completion).
ALTER TABLE exports
    ADD COLUMN notify_destination_ids uuid[] NOT NULL DEFAULT '{}',
    -- Data rows the export will hold, counted when the worker starts (NULL: not known up front, e.g. PDF).
    ADD COLUMN rows_total bigint CHECK (rows_total >= 0);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['export_destinations', 'export_schedule_destinations', 'export_deliveries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = aurion_current_tenant()) '
            'WITH CHECK (tenant_id = aurion_current_tenant())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON export_destinations, export_schedule_destinations TO aurion_app;
GRANT SELECT, INSERT, UPDATE ON export_deliveries TO aurion_app;
