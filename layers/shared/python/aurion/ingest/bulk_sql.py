"""The bulk path's SQL: the live path's reference door, COPY into a staging table, the live path's merge rule.

Staging holds one row per valid line: its number, type, source version and the snapshot (`data`) as the live
path writes it (the validated model's JSON: the defaults of fields the line left out filled in). The merge is
the live path's (aurion/ingest/apply.py): per type, the newest snapshot of each id, INSERT ... ON CONFLICT DO
UPDATE only over an older version; the tenant is the transaction's.
"""

from __future__ import annotations

from functools import cache

from aurion.ingest.apply import column_types, merge_insert_sql
from aurion.ingest.entities import BY_TYPE, ENTITIES, Entity

STAGE = "aurion_bulk_stage"

# A temporary table per session, emptied at every commit: nothing of a file outlives its chunk's transaction.
CREATE_STAGE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
    line bigint NOT NULL,
    type text NOT NULL,
    source_version bigint NOT NULL,
    data jsonb NOT NULL
) ON COMMIT DELETE ROWS
"""

COPY_STAGE = f"COPY {STAGE} (line, type, source_version, data) FROM STDIN WITH (FORMAT csv)"


# Which of the (kind, id) pairs are rows of another tenant, through the live path's door; the pairs travel as
# one JSON text (pg8000 escapes array parameters element by element, in Python).
FOREIGN_SQL = """
WITH pairs AS (
    SELECT p.value ->> 0 AS kind, CAST(p.value ->> 1 AS uuid) AS id, p.n
    FROM jsonb_array_elements(CAST(:pairs AS jsonb)) WITH ORDINALITY AS p (value, n)
)
SELECT coalesce(json_agg(json_build_array(f.kind, f.id)), '[]')::text
FROM aurion_ingest_foreign_ids(ARRAY(SELECT kind FROM pairs ORDER BY n), ARRAY(SELECT id FROM pairs ORDER BY n)) AS f
"""


@cache
def merge_sql(types: tuple[str, ...], *, one_line: bool = False) -> str:
    """One statement merging the staged rows of these types (parents first); the rows written.

    one_line: only the staged row of :line (the fallback that isolates a row the database refuses).
    """
    present = [entity for entity in ENTITIES if entity.type in types]
    writes = ",\n".join(f"w{i} AS ({_insert_sql(entity, one_line)})" for i, entity in enumerate(present))
    total = " + ".join(f"(SELECT count(*) FROM w{i})" for i in range(len(present)))
    return f"WITH {writes}\nSELECT {total} AS written"


def _insert_sql(entity: Entity, one_line: bool) -> str:
    record = ", ".join(["id uuid", *column_types(entity)])
    only = " AND s.line = CAST(:line AS bigint)" if one_line else ""
    return merge_insert_sql(
        entity,
        f"""SELECT DISTINCT ON (r.id) r.*, s.source_version
        FROM {STAGE} AS s, jsonb_to_record(s.data) AS r ({record})
        WHERE s.type = '{entity.type}'{only}
        ORDER BY r.id, s.source_version DESC""",
    )


def tables_of(types: set[str]) -> list[str]:
    return [BY_TYPE[t].table for t in BY_TYPE if t in types]
