"""The fact definitions: what each metric family counts and sums, per bucket, in SQL.

One definition per family, parametrised by its bucket (a UTC day or hour for the rollup tables, a local day or
hour for a range read at query time or an export), read by the rollups (aurion.rollups: building the tables and
reading a range), the metrics (aurion.metrics: the API's answers) and the exports. This package imports none of
them: every import points down to it. Which metric's SQL lives where: docs/metrics.md, "Where each metric is
defined".
"""
