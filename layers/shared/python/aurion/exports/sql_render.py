"""A row-level value rendered by PostgreSQL exactly as the Python writers render it, so COPY's output is the file.

Reading rows one by one through the driver costs ~8x a bare `COPY ... TO STDOUT` of the same query
(docs/performance.md, "Exports"); with every value already the file's text, the worker only moves bytes.
Each function here mirrors one Python rule, and tests/integration/test_export_copy_equivalence.py proves on
adversarial values that both paths write the same bytes:

- phone numbers and emails: aurion.redaction.redact_phone and mask_email (both are plain string rules);
- free text: aurion.redaction.redact_text needs libphonenumber, so SQL only decides which values surely hold
  nothing to redact (ASCII only, no `@`, fewer than 7 digits: may_hold_personal_data is False for them, and
  redact_text returns them unchanged). A row with any other free text is flagged and its raw text is redacted
  in Python (aurion.exports.streaming), a few rows in a thousand on real data;
- text: formula-safe (aurion.exports.writers.safe_text); true/false; ISO 8601 local times with their offset;
  floats as Python's repr of the value.

Placeholders (`:tz`) are the query's own parameters, inlined by aurion.exports.streaming before COPY, which
also runs it with the session's TimeZone set to the export's (local_iso).
"""

from __future__ import annotations

import json
from typing import Final

from aurion.exports.columns import Column
from aurion.exports.writers import FORMULA_START
from aurion.redaction import EMAIL_MASK, NO_DIGITS, PHONE_MASK

# Every character str.isspace() is true for (mask_email strips them); a unit test recomputes the set.
PY_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_MIN_PHONE_DIGITS: Final = 7  # aurion.redaction's threshold
# No zone has had a UTC offset with seconds since Monrovia's -00:44:30 ended in January 1972 (a test asks
# PostgreSQL's time zone data).
LAST_SECONDS_OFFSET: Final = "1973-01-01T00:00:00Z"


def sql_text(value: str) -> str:
    """A string literal (standard_conforming_strings, the default since PostgreSQL 9.1: only quotes double)."""
    return "'" + value.replace("'", "''") + "'"


if any(len(start) != 1 or not start.isascii() for start in FORMULA_START):
    raise ValueError("starts_formula compares one ASCII character's code")
_FORMULA_CODES: Final = ", ".join(str(ord(start)) for start in FORMULA_START)


def starts_formula(expression: str) -> str:
    """True when the text starts with a character a spreadsheet reads as a formula (null for null). ascii() is the
    first character's code: a quarter of the cost of comparing left(text, 1) with each start as text."""
    return f"ascii({expression}) IN ({_FORMULA_CODES})"


def _digits(expression: str) -> str:
    # The ASCII digits only: remove every character that is not one (two translates cost less than a regex).
    return f"translate({expression}, translate({expression}, '0123456789', ''), '')"


def _digit_count(expression: str) -> str:
    return f"length({expression}) - length(translate({expression}, '0123456789', ''))"


def phone(expression: str) -> str:
    """redact_phone: the last 4 ASCII digits, or the all-stars mask; null and '' stay null (pii.py)."""
    last4 = f"right({expression}, 4)"
    masked4 = f"{sql_text(PHONE_MASK)} || {last4}"
    return (
        f"CASE WHEN {expression} IS NULL OR {expression} = '' THEN NULL "
        # Nearly every number ends in 4 digits, which are then its last 4: two translates of the whole number
        # and a third of the digits cost three times this test of its last 4 characters.
        f"WHEN length({last4}) = 4 AND translate({last4}, '0123456789', '') = '' THEN {masked4} "
        f"WHEN {_digit_count(expression)} >= 4 THEN {sql_text(PHONE_MASK)} || right({_digits(expression)}, 4) "
        f"ELSE {sql_text(NO_DIGITS)} END"
    )


def _masked(stripped: str, formula_guard: bool) -> str:
    """The mask of a stripped address holding an @: '***' without a domain, else its local part's first
    character (none for an empty local part: its bytes are then the domain's and the @) + '***@' + the domain."""
    domain = f"split_part({stripped}, '@', -1)"  # after the last @
    initial = f"left({stripped}, 1)"
    if formula_guard:  # the masked text starts with this character only
        initial = f"CASE WHEN {starts_formula(stripped)} THEN '''' || {initial} ELSE {initial} END"
    return (
        f"CASE WHEN {domain} = '' THEN {sql_text(EMAIL_MASK)} "
        f"WHEN octet_length({stripped}) - octet_length({domain}) > 1 THEN {initial} || {sql_text(EMAIL_MASK + '@')} "
        f"|| {domain} ELSE {sql_text(EMAIL_MASK + '@')} || {domain} END"
    )


def email(expression: str, formula_guard: bool = False) -> str:
    """mask_email: strip (Python's whitespace), split at the last @, first character + mask + domain. String
    functions, not regular expressions: this runs for every row. With formula_guard, safe_text of it: the
    guard tests the local part's first character inside, as formula_safe around the whole would evaluate it
    three times (PostgreSQL does not share common subexpressions)."""
    # btrim with that (multi-byte) set costs ~1 µs a call: only when an end is not printable ASCII (never space);
    # the address is written once per branch, not inside every use of the stripped text.
    return (
        f"CASE WHEN {expression} IS NULL OR {expression} = '' THEN NULL "
        f"WHEN strpos({expression}, '@') = 0 THEN {sql_text(EMAIL_MASK)} "
        f"WHEN ascii({expression}) BETWEEN 33 AND 126 AND ascii(right({expression}, 1)) BETWEEN 33 AND 126 "
        f"THEN {_masked(expression, formula_guard)} "
        f"ELSE {_masked(f'btrim({expression}, {sql_text(PY_WHITESPACE)})', formula_guard)} END"
    )


def surely_clean(expression: str) -> str:
    """True only for free text redact_text returns unchanged: null, or ASCII (one byte per character in UTF-8,
    so str.isdigit is 0-9 only) with no @ and fewer than 7 digits. Anything else goes to Python."""
    return (
        f"({expression} IS NULL OR (octet_length({expression}) = length({expression}) "
        f"AND strpos({expression}, '@') = 0 "
        # translate costs ~1 µs a free-text value, a digit search a tenth of that: most text holds no digit.
        f"AND ({expression} !~ '[0-9]' OR {_digit_count(expression)} < {_MIN_PHONE_DIGITS})))"
    )


def formula_safe(expression: str) -> str:
    """safe_text, and '' as null: COPY quotes an empty string (""), csv writes nothing for it."""
    return f"CASE WHEN {starts_formula(expression)} THEN '''' || {expression} ELSE NULLIF({expression}, '') END"


class FormulaFree(str):
    """A text column's SQL whose values are a UUID's text or one of a few fixed words: never '', never a formula
    start, no character JSON escapes. Its CSV field is the value itself (formula_safe would evaluate it three
    times for nothing), its JSON string the value in quotes (to_json would scan and copy it for nothing)."""


def json_plain(value: str) -> bool:
    """True when the value's JSON string is the value in quotes (no quote, backslash or control character)."""
    return json.dumps(value, ensure_ascii=False) == f'"{value}"'


class FixedWords(FormulaFree):
    """SQL that yields only literals outcomes() checked (or null)."""


def outcomes(sql: str, values: tuple[str, ...]) -> FixedWords:
    """SQL that yields only these literals (or null)."""
    if any(not value or value.startswith(FORMULA_START) or not json_plain(value) for value in values):
        raise ValueError(f"{values!r} would need formula_safe or to_json")
    return FixedWords(sql)


# A phone mask is one of these followed by ASCII digits: its JSON string needs no escape either.
if not all(json_plain(mask) for mask in (PHONE_MASK, NO_DIGITS)):
    raise ValueError("the phone masks would need to_json")


def local_iso(expression: str) -> str:
    """datetime.isoformat(timespec="seconds") of the instant in the export's zone: 2026-03-02T10:15:00+01:00, with
    the offset's seconds when it has some (local mean time), as Python writes them. The COPY runs with the
    session's TimeZone set to the export's (aurion.exports.streaming), so one to_char renders it: converting
    with AT TIME ZONE and formatting the offset by hand cost a dozen zone look-ups per value."""
    offset = f"extract(timezone FROM {expression})::int"
    # The offset is only looked up again for an instant old enough to have seconds in it.
    return (
        f"to_char({expression}, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM') "
        f"|| CASE WHEN {expression} < {sql_text(LAST_SECONDS_OFFSET)}::timestamptz AND {offset} % 60 <> 0 "
        f"THEN ':' || lpad((abs({offset}) % 60)::text, 2, '0') ELSE '' END"
    )


def float_text(expression: str) -> str:
    """str(float(value)) of a numeric: its shortest digits, with ".0" when whole (12.5, 3.0). Exact while the
    value has at most 15 significant digits and 1e-4 <= |value| < 1e16, as every exported one (minutes rounded
    to one decimal) has."""
    # A numeric sum's scale is its terms' larger one: + 0.0 gives a whole value its ".0" and leaves the rest, with
    # the value written (and computed) once.
    return f"(trim_scale(({expression})::numeric) + 0.0)::text"


def typed(column: Column, source: str) -> str:
    """The value for the Python writers (xlsx, PDF): instants as epoch seconds, floats as float8."""
    if column.kind == "datetime":
        return f"date_part('epoch', {source})"
    if column.kind == "float":
        return f"({source})::float8"
    return source


def _bool_text(expression: str) -> str:
    return f"CASE WHEN {expression} THEN 'true' WHEN NOT {expression} THEN 'false' END"


def _plain(column: Column, source: str) -> str:
    """The redacted value (free text raw: see csv_value), as text, null for null."""
    if column.pii == "phone":
        return phone(source)
    if column.pii == "email":
        return email(source)
    if column.kind == "datetime":
        return local_iso(source)
    if column.kind == "float":
        return float_text(source)
    if column.kind == "bool":
        return _bool_text(source)
    if column.kind == "int":
        return f"({source})::text"
    return source  # text, and days (already YYYY-MM-DD text)


def csv_value(column: Column, source: str, flagged: str) -> str:
    """The CSV field's text (null: an empty field). Free text is raw in a flagged row, for Python to redact."""
    if column.pii == "text":
        # formula_safe but raw when flagged: a flagged value is never '' (the flag's own column tells), so only a
        # formula start needs the flag, which is then the only place it runs again.
        return (
            f"CASE WHEN {starts_formula(source)} AND NOT {flagged} THEN '''' || {source} ELSE NULLIF({source}, '') END"
        )
    if column.pii == "email":
        return email(source, formula_guard=True)
    value = _plain(column, source)
    if column.kind == "text" and column.pii != "phone" and not isinstance(source, FormulaFree):
        return formula_safe(value)
    return value


def json_member(column: Column, source: str) -> str:
    """`"name":value` as Python's json.dumps(ensure_ascii=False) writes it (to_json escapes as it does)."""
    value = _plain(column, source)
    if column.kind in ("date", "datetime") or column.pii == "phone" or isinstance(source, FormulaFree):
        # Digits and ISO punctuation, a phone mask, a fixed word: quotes are their whole JSON escaping, at a
        # fraction of to_json's cost (a JSON file of 1,000,000 rows: 1.4-1.8 s less of the server's CPU).
        value = f"'\"' || {value} || '\"'"
    elif column.kind == "text" or column.pii:
        value = f"to_json(({value})::text)::text"
    return f"{sql_text(json.dumps(column.name) + ':')} || COALESCE({value}, 'null')"


def flagged(columns: tuple[Column, ...], sources: tuple[str, ...]) -> str:
    """True when a free-text value of the row may hold personal data (Python redacts that row's free text)."""
    tests = [surely_clean(source) for column, source in zip(columns, sources, strict=True) if column.pii == "text"]
    return f"NOT ({' AND '.join(tests)})" if tests else "false"
