"""Daily rollups: the aggregator that maintains them and the range split that reads them (docs/metrics.md)."""
