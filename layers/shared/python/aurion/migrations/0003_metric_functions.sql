-- Small SQL helpers shared by every metric query, so each definition is written once.
-- Both are inlined by the planner (simple IMMUTABLE SQL functions), so they cost nothing per row.

-- A percentage rounded to one decimal; 0.0 when there is nothing to divide by (docs/metrics.md).
CREATE FUNCTION aurion_pct(part numeric, whole numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT COALESCE(round(100.0 * part / NULLIF(whole, 0), 1), 0.0) $$;

-- Minutes between two instants, as a float (null when either is null).
CREATE FUNCTION aurion_minutes(from_ts timestamptz, to_ts timestamptz) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT date_part('epoch', to_ts - from_ts) / 60.0 $$;

-- One decimal, keeping null (averages and medians of nothing are null).
CREATE FUNCTION aurion_round1(value double precision) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT round(value::numeric, 1) $$;

GRANT EXECUTE ON FUNCTION aurion_pct(numeric, numeric), aurion_minutes(timestamptz, timestamptz),
    aurion_round1(double precision) TO aurion_app;
