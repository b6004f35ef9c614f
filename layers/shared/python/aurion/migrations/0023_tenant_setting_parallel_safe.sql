-- Every row-level security policy calls aurion_current_tenant(); created without a parallel label it is
-- PARALLEL UNSAFE, which kept every query of the app role (a year's export included) from any parallel plan.
-- It only reads a setting, and parallel workers start with the leader's settings, the transaction-local
-- app.tenant_id included (tests/integration/test_row_level_security.py runs a forced parallel plan).
ALTER FUNCTION aurion_current_tenant() PARALLEL SAFE;
