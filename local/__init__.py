"""Developer tooling that is never deployed: local gateway, embedded PostgreSQL, dev stack, tokens, seed data."""
