"""`make bench`: build the benchmark tenants in their own database, time every endpoint, write docs/benchmarks.md."""
