"""The export writes some text columns without the formula guard and without JSON escaping
(aurion.exports.sql_render.FormulaFree): each plain column among them must be one the database itself keeps free
of '', of every formula start and of every character JSON escapes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from pg8000.exceptions import DatabaseError

from aurion.exports.datasets.records import CALLS_SELECT, CONVERSATIONS_SELECT
from aurion.exports.sql_render import FixedWords, FormulaFree
from aurion.exports.writers import FORMULA_START
from aurion.pg_errors import sqlstate

PLAIN_COLUMN = re.compile(r"c\.(\w+)")
FORMULA_FREE_COLUMNS = [
    (table, match[1])
    for table, select in (("calls", CALLS_SELECT), ("conversations", CONVERSATIONS_SELECT))
    for source in select
    if isinstance(source, FormulaFree) and (match := PLAIN_COLUMN.fullmatch(source))
]
# '', every formula start (the CSV writes the value unguarded), and what JSON escapes (it writes it in quotes).
UNSAFE_VALUES = ["", *(start + "1+1" for start in FORMULA_START), 'chat"', "chat\\", "chat\n", "chat\x01"]


UUID_TEXT = re.compile(r"c\.(id|conversation_id)::text")  # uuid columns: hex digits and dashes


def test_every_formula_free_source_is_a_checked_column_a_uuid_or_fixed_words():
    # Given the row-level datasets' sources marked formula-free
    sources = [source for select in (CALLS_SELECT, CONVERSATIONS_SELECT) for source in select]
    formula_free = [source for source in sources if isinstance(source, FormulaFree)]
    # Then each is one this file proves (a plain column), a UUID's text, or outcomes() words (checked at import):
    # a new kind of formula-free source needs its own proof before it can skip the guards
    unproved = [
        source
        for source in formula_free
        if not (PLAIN_COLUMN.fullmatch(source) or UUID_TEXT.fullmatch(source) or isinstance(source, FixedWords))
    ]
    assert unproved == []
    # And the CHECK-constrained words are among them
    assert ("conversations", "channel") in FORMULA_FREE_COLUMNS
    assert ("calls", "outcome") in FORMULA_FREE_COLUMNS


@pytest.mark.parametrize(("table", "column"), FORMULA_FREE_COLUMNS)
def test_the_database_refuses_an_empty_formula_or_json_escaped_value_in_a_formula_free_column(build, table, column):
    # Given a resolved conversation (so that only the column's own constraint can refuse resolved_by) and a call
    tenant = build.tenant()
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    row_id = (
        build.conversation(tenant, at, resolved_at=at, resolved_by="ai")
        if table == "conversations"
        else build.call(tenant, at)
    )
    for value in UNSAFE_VALUES:
        # When the column is set to '', to text a spreadsheet would run as a formula, or to text JSON escapes
        with pytest.raises(DatabaseError) as refused:
            build.conn.run(f"UPDATE {table} SET {column} = :v WHERE id = :id", v=value, id=row_id)
        # Then the database refuses it: its CHECK constraint admits only the column's own words
        assert sqlstate(refused.value) == "23514", value
