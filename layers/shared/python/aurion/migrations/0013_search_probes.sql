-- What each principal probed with the phone search in the last day, for its daily budgets (aurion/search_budget.py).
--
-- Never the digits: term_hash is an HMAC (keyed with the probe key, settings.probe_key()) of the searched digits, tail_hash
-- the HMAC of the same digits without their first one. A short suffix has few values, so an unkeyed hash could be
-- reversed by trying them all; the key makes the table useless without the secret. narrowing marks a probe that
-- extended a suffix someone of the tenant had already probed (the enumeration step). The budgets count the last 24
-- hours; probes are remembered 30 days to tell a narrowing one, then deleted by the budget as the tenant searches.
CREATE TABLE search_probes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- a user id (its lower case), or 'api_keys': a tenant's keys share one budget
    principal   text NOT NULL CHECK (length(principal) <= 200),
    term_hash   text NOT NULL CHECK (term_hash ~ '^[0-9a-f]{64}$'),
    tail_hash   text CHECK (tail_hash ~ '^[0-9a-f]{64}$'),
    narrowing   boolean NOT NULL,
    probed_at   timestamptz NOT NULL
);
CREATE INDEX search_probes_tenant_probed_idx ON search_probes (tenant_id, probed_at);
CREATE INDEX search_probes_tenant_term_idx ON search_probes (tenant_id, term_hash);
CREATE INDEX search_probes_tenant_tail_idx ON search_probes (tenant_id, tail_hash);

ALTER TABLE search_probes ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_probes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_probes
    USING (tenant_id = aurion_current_tenant()) WITH CHECK (tenant_id = aurion_current_tenant());
GRANT SELECT, INSERT, DELETE ON search_probes TO aurion_app;
