-- Three metric definitions made exact (docs/metrics.md): SLA "tracked", the histogram buckets of negative
-- resolution times, and one-decimal rounding of numerics.

-- SLA tracked = every conversation with a target (the spec: "conversations with an SLA target"), decided or
-- not; met and breached stay as they were, and compliance is met over the decided ones. Unlike met/breached,
-- tracked does not depend on the clock.
ALTER TABLE conversation_daily
    ADD COLUMN fr_tracked integer NOT NULL DEFAULT 0,
    ADD COLUMN res_tracked integer NOT NULL DEFAULT 0;
ALTER TABLE conversation_daily ALTER COLUMN fr_tracked DROP DEFAULT, ALTER COLUMN res_tracked DROP DEFAULT;

-- A resolution recorded before its creation (clock skew in imported data) was put in bucket 0 ([0, 0.01) s),
-- arbitrarily far from its value, while the exact median counts it as it is. Negative times now get mirrored
-- buckets: bucket -1 - k holds s with 1.01^k <= 1 - s < 1.01^(k+1), so every bucket, either side of zero, spans
-- [aurion_bucket_lower(b), aurion_bucket_lower(b + 1)] and is 1 % of 1 + |s| wide. Non-negative times keep
-- their buckets.
CREATE OR REPLACE FUNCTION aurion_resolution_bucket(seconds numeric) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (CASE WHEN seconds >= 0 THEN floor(ln(1 + seconds) / ln(1.01))
                       ELSE -1 - floor(ln(1 - seconds) / ln(1.01)) END)::smallint $$;

CREATE OR REPLACE FUNCTION aurion_bucket_lower(bucket smallint) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN bucket >= 0 THEN power(1.01::numeric, bucket) - 1
                      ELSE 1 - power(1.01::numeric, -bucket) END $$;

-- aurion_round1 took double precision only, so a numeric average (avg() of integers, exact sums divided as
-- numeric) was cast to float and back before rounding. This overload rounds the numeric itself, half away
-- from zero (round(numeric, 1); round() of a float rounds halves to even). Every metric passes numerics now.
CREATE FUNCTION aurion_round1(value numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT round(value, 1) $$;
GRANT EXECUTE ON FUNCTION aurion_round1(numeric) TO aurion_app;

-- conversation_daily has no tracked counts yet and the histograms hold the old negative buckets: forget
-- rollup_state, so the next aggregator run rebuilds every day of every family (queries read raw until then).
TRUNCATE rollup_state;
