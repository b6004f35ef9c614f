"""The pieces of the COPY path that need no database: the whitespace mask_email strips, the inlined literals."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from aurion.exports.sql_render import PY_WHITESPACE, outcomes
from aurion.exports.streaming import inline_params
from aurion.exports.writers import FORMULA_START
from aurion.redaction import NO_DIGITS, PHONE_MASK


def test_the_whitespace_sql_strips_is_every_character_python_strips():
    assert set(PY_WHITESPACE) == {ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace()}


def test_the_jobs_values_become_literals_and_format_strings_stay_as_they_are():
    sql = "SELECT to_char(x AT TIME ZONE :tz, 'HH24:MI:SS'), y::text FROM t WHERE a >= :start AND b = :tenant_id"
    inlined = inline_params(sql, {"tz": "Europe/Paris", "start": datetime(2026, 3, 1, tzinfo=UTC), "tenant_id": "x'y"})
    assert inlined == (
        "SELECT to_char(x AT TIME ZONE 'Europe/Paris', 'HH24:MI:SS'), y::text FROM t "
        "WHERE a >= CAST('2026-03-01T00:00:00+00:00' AS timestamptz) AND b = 'x''y'"
    )


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="naive"):
        inline_params("SELECT :start", {"start": datetime(2026, 3, 1)})


def test_the_phone_masks_are_their_own_csv_field():
    # csv_value writes phone() without formula_safe: that is only sound while neither mask is empty or a formula.
    assert all(mask and not mask.startswith(FORMULA_START) for mask in (PHONE_MASK, NO_DIGITS))


def test_outcomes_refuse_words_that_would_need_the_formula_guard():
    assert outcomes("CASE WHEN x THEN 'met' END", ("met", "breached")) == "CASE WHEN x THEN 'met' END"
    for words in (("met", "-1"), ("met", ""), ("=x",)):
        with pytest.raises(ValueError, match="formula_safe"):
            outcomes("x", words)


@pytest.mark.parametrize("word", ["", "=met", 'me"t', "me\\t", "me\nt"])
def test_an_outcome_word_that_would_need_the_formula_guard_or_json_escaping_is_refused(word):
    # Given SQL said to yield a word that is empty, starts a formula, or holds a character JSON escapes
    # When it is declared formula-free, Then the declaration is refused
    with pytest.raises(ValueError, match="formula_safe or to_json"):
        outcomes("x", ("met", word))
