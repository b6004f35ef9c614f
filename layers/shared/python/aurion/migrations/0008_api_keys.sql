-- Public API keys, opt-in per tenant (tenants.api_keys_enabled, off by default; table api_keys from 0001, with
-- forced row-level security from 0002).
--
-- The authorizer must find a key by its hash before it knows the tenant, and the app role cannot: row-level
-- security shows it one tenant at a time, and that is how it should stay. So one narrow, fixed door, built like
-- the scheduler's in 0005:
--
--   aurion_authenticate_api_key(key_hash) returns the id, tenant and role of the ONE non-revoked key with that
--   hash, and only while its tenant has API-key access enabled; nothing otherwise. It also stamps last_used_at,
--   at most once a minute per key, so admins can see which keys are alive without a write per request.
--
-- It is SECURITY DEFINER and owned by aurion_api_key_resolver, a NOLOGIN role that exists only for it: its
-- policies show non-revoked keys and the tenants that enabled access, it may change last_used_at of a live key and
-- nothing else, and it owns no table.

-- Admins switch their tenant's access on and off; nothing else about a tenant is writable by the app.
GRANT UPDATE (api_keys_enabled) ON tenants TO aurion_app;

-- The stored hash is a SHA-256 hex digest, never a key; a key can never carry more than read-only access.
ALTER TABLE api_keys
    ADD CONSTRAINT api_keys_hash_is_sha256 CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT api_keys_read_only CHECK (role = 'tenant_readonly');
-- The prefix is for people to recognise a key, not an identifier (that is id): a rare clash of the visible
-- characters must not make creating a key fail.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_prefix_key;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aurion_api_key_resolver') THEN
        CREATE ROLE aurion_api_key_resolver NOLOGIN NOBYPASSRLS;
    END IF;
    -- Handing the function over (ALTER ... OWNER TO) requires membership for a non-superuser owner (e.g. RDS).
    IF NOT pg_has_role(current_user, 'aurion_api_key_resolver', 'MEMBER') THEN
        EXECUTE format('GRANT aurion_api_key_resolver TO %I', current_user);
    END IF;
END
$$;

GRANT SELECT (id, api_keys_enabled) ON tenants TO aurion_api_key_resolver;
GRANT SELECT (id, tenant_id, role, key_hash, revoked_at, last_used_at), UPDATE (last_used_at)
    ON api_keys TO aurion_api_key_resolver;

CREATE POLICY api_key_resolver_read ON tenants FOR SELECT TO aurion_api_key_resolver USING (api_keys_enabled);
CREATE POLICY api_key_resolver_read ON api_keys FOR SELECT TO aurion_api_key_resolver USING (revoked_at IS NULL);
CREATE POLICY api_key_resolver_touch ON api_keys FOR UPDATE TO aurion_api_key_resolver
    USING (revoked_at IS NULL) WITH CHECK (revoked_at IS NULL);

CREATE FUNCTION aurion_authenticate_api_key(candidate_hash text)
    RETURNS TABLE (key_id uuid, tenant_id uuid, role text)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    -- A definer function must not resolve names through a search_path its caller controls.
    SET search_path = pg_catalog, public
    AS $$
        WITH found AS (
            SELECT k.id, k.tenant_id, k.role, k.last_used_at
            FROM public.api_keys AS k
            JOIN public.tenants AS t ON t.id = k.tenant_id
            WHERE k.key_hash = candidate_hash AND k.revoked_at IS NULL AND t.api_keys_enabled
        ), touched AS (
            UPDATE public.api_keys AS k SET last_used_at = now()
            FROM found AS f
            WHERE k.id = f.id AND (f.last_used_at IS NULL OR f.last_used_at < now() - interval '1 minute')
        )
        SELECT id, tenant_id, role FROM found
    $$;

REVOKE ALL ON FUNCTION aurion_authenticate_api_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_authenticate_api_key(text) TO aurion_app;

-- The new owner needs CREATE on the schema at the moment of the hand-over only.
GRANT CREATE ON SCHEMA public TO aurion_api_key_resolver;
ALTER FUNCTION aurion_authenticate_api_key(text) OWNER TO aurion_api_key_resolver;
REVOKE CREATE ON SCHEMA public FROM aurion_api_key_resolver;
