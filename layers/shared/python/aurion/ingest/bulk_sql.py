"""The bulk path's SQL: COPY into a staging table, the live path's reference door, the live path's merge rule.

Staging holds one row per valid line: its number, type, source version and the snapshot (`data`) as the live
path writes it (the validated model's JSON: the defaults of fields the line left out filled in). The snapshot is
staged as text and read with json_to_record in the merge. A jsonb column costs the server the same in all (it
parses at COPY what json_to_record parses at the merge: 300 + 142 ms against 75 + 368 ms for 8,000
conversations); text needs no quoting on the way in. The merge is
the live path's (aurion/ingest/apply.py): per type, the newest snapshot of each id, INSERT ... ON CONFLICT DO
UPDATE only over an older version; the tenant is the transaction's.
"""

from __future__ import annotations

from functools import cache

from aurion.ingest.apply import column_types, merge_insert_sql
from aurion.ingest.entities import ENTITIES, Entity

STAGE = "aurion_bulk_stage"

# A temporary table per session, emptied at every commit: nothing of a file outlives its chunk's transaction.
CREATE_STAGE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
    line bigint NOT NULL,
    type text NOT NULL,
    source_version bigint NOT NULL,
    data text NOT NULL
) ON COMMIT DELETE ROWS
"""

# Fields are separated by \x02 and "quoted" by \x01: neither can occur in the fields (numbers, a type name, JSON
# text, which escapes every control character), so a row is its fields joined as they are, with nothing escaped.
FIELD_SEPARATOR = b"\x02"
COPY_STAGE = (
    f"COPY {STAGE} (line, type, source_version, data) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
)


# Which of the (kind, id) pairs are rows of another tenant, through the live path's door. The pairs travel as two
# comma-separated texts (kinds, ids), split on the server: pg8000 escapes array parameters element by element in
# Python, and a JSON document of pairs cost more to write and parse than the question itself.
FOREIGN_SQL = """
SELECT f.kind, f.id::text AS id
FROM aurion_ingest_foreign_ids(string_to_array(:kinds, ','), CAST(string_to_array(:ids, ',') AS uuid[])) AS f
"""


@cache
def merge_sql(types: tuple[str, ...], *, one_line: bool = False) -> str:
    """One statement merging the staged rows of these types (parents first); one row: the rows written into each
    table, in a column named after it (the loader's ANALYZE is judged per table).

    one_line: only the staged row of :line (the fallback that isolates a row the database refuses).
    """
    present = [entity for entity in ENTITIES if entity.type in types]
    writes = ",\n".join(f"w{i} AS ({_insert_sql(entity, one_line)})" for i, entity in enumerate(present))
    counts = ", ".join(f"(SELECT count(*) FROM w{i}) AS {entity.table}" for i, entity in enumerate(present))
    return f"WITH {writes}\nSELECT {counts}"


def _insert_sql(entity: Entity, one_line: bool) -> str:
    record = ", ".join(["id uuid", *column_types(entity)])
    only = " AND s.line = CAST(:line AS bigint)" if one_line else ""
    return merge_insert_sql(
        entity,
        f"""SELECT DISTINCT ON (r.id) r.*, s.source_version
        FROM {STAGE} AS s, json_to_record(CAST(s.data AS json)) AS r ({record})
        WHERE s.type = '{entity.type}'{only}
        ORDER BY r.id, s.source_version DESC""",
    )
