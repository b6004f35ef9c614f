-- The export scheduler finds due schedules across tenants. The app role cannot: row-level security shows it
-- one tenant at a time (0002), and that is how it should stay. So one narrow, fixed door:
--
--   aurion_claim_due_export_schedule(due_at, skip) returns the id and tenant of ONE due, enabled schedule
--   (the longest overdue first) and locks its row FOR UPDATE SKIP LOCKED in the caller's transaction.
--
-- The caller then sets app.tenant_id to that tenant and does everything else (read the schedule, insert the
-- export, advance next_run_at) as the app role, under RLS. Two scheduler runs at once never claim the same row:
-- the second skips the locked one, and once the first commits, next_run_at is no longer due.
--
-- The function is SECURITY DEFINER and owned by aurion_scheduler, a NOLOGIN role that exists only for it:
-- policies let that role see (and lock) enabled schedules of every tenant, and nothing else; it cannot change
-- a row (the UPDATE policy's WITH CHECK is false) and it owns no table. The migration owner is not used as the
-- definer because FORCE ROW LEVEL SECURITY applies to it too, and a policy for it would widen what every
-- owner session sees.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aurion_scheduler') THEN
        CREATE ROLE aurion_scheduler NOLOGIN NOBYPASSRLS;
    END IF;
    -- Handing the function over (ALTER ... OWNER TO) requires membership for a non-superuser owner (e.g. RDS).
    IF NOT pg_has_role(current_user, 'aurion_scheduler', 'MEMBER') THEN
        EXECUTE format('GRANT aurion_scheduler TO %I', current_user);
    END IF;
END
$$;

-- Row locks need the UPDATE privilege on at least one column; one column is enough.
GRANT SELECT, UPDATE (next_run_at) ON export_schedules TO aurion_scheduler;

CREATE POLICY scheduler_read ON export_schedules FOR SELECT TO aurion_scheduler USING (enabled);
-- SELECT ... FOR UPDATE checks the UPDATE policy's USING; WITH CHECK false forbids any actual update.
CREATE POLICY scheduler_lock ON export_schedules FOR UPDATE TO aurion_scheduler USING (enabled) WITH CHECK (false);

CREATE FUNCTION aurion_claim_due_export_schedule(due_at timestamptz, skip uuid[] DEFAULT '{}')
    RETURNS TABLE (schedule_id uuid, tenant_id uuid)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    -- A definer function must not resolve names through a search_path its caller controls.
    SET search_path = pg_catalog, public
    AS $$
        SELECT s.id, s.tenant_id
        FROM public.export_schedules AS s
        WHERE s.enabled AND s.next_run_at <= due_at AND NOT (s.id = ANY (skip))
        ORDER BY s.next_run_at, s.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    $$;

REVOKE ALL ON FUNCTION aurion_claim_due_export_schedule(timestamptz, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aurion_claim_due_export_schedule(timestamptz, uuid[]) TO aurion_app;

-- The new owner needs CREATE on the schema at the moment of the hand-over only.
GRANT CREATE ON SCHEMA public TO aurion_scheduler;
ALTER FUNCTION aurion_claim_due_export_schedule(timestamptz, uuid[]) OWNER TO aurion_scheduler;
REVOKE CREATE ON SCHEMA public FROM aurion_scheduler;
