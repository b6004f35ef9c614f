"""Data in: the helpdesk's events become the rows the analytics read (docs/ingestion.md).

- `events`: the contract. One versioned pydantic model per entity (`conversation.v1`, ...): an envelope and a
  snapshot of the entity's whole state. The JSON Schemas in docs/events/ are generated from these models.
- `entities`: which table, columns and references each snapshot maps to.
- `apply`: the merge rules, as set-based SQL: newest version wins, idempotent, references into another tenant
  rejected, rejections recorded.
- `consumer`: the live path's SQS batch (EventBridge -> SQS -> the ingest function), partial batch failures.
"""
