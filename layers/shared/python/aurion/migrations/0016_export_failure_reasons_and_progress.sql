-- Exports an admin can act on (issue 17): a typed failure reason beside the human `error`, the worker's
-- progress while it runs, cancelling and deleting (docs/exports.md "Failure reasons", "Progress", "Cancel and delete").
--
-- failure_reason is set with status 'failed' only (a retried attempt keeps its reason in `error` alone):
--   too_large  the file could not be written within the worker's time: a shorter period or csv helps
--   expired    the export's 24 hours ended before a worker could start it (queue backlog, outage)
--   storage    S3 refused the file on every attempt
--   database   the database was unavailable or a query failed on every attempt
--   internal   anything else; the log has the error type, the admin can only retry or report it
--   cancelled  an admin cancelled it (status 'cancelled')
-- A period without data is not a failure: the file holds its headers and row_count is 0.
--
-- Status gains 'cancelled' (by an admin, queued or running) and 'deleted' (a finished export whose file an admin
-- deleted before it expired: the row stays for the audit trail and the listing, the S3 object is gone).
ALTER TABLE exports DROP CONSTRAINT exports_status_check;
ALTER TABLE exports
    ADD CONSTRAINT exports_status_check
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'deleted')),
    ADD COLUMN failure_reason text
        CHECK (failure_reason IN ('too_large', 'expired', 'storage', 'database', 'internal', 'cancelled')),
    -- An admin asked to cancel a running export: the worker stops at its next checkpoint.
    ADD COLUMN cancel_requested_at timestamptz,
    -- Data rows written so far, at the worker's last checkpoint; NULL before the worker starts writing.
    ADD COLUMN rows_written bigint CHECK (rows_written >= 0),
    -- When rows_written was last recorded: how fresh the progress is.
    ADD COLUMN progress_at timestamptz,
    ADD CONSTRAINT exports_failure_reason_only_when_failed
        CHECK (failure_reason IS NULL OR status IN ('failed', 'cancelled'));
