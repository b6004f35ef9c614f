"""Redaction as a property: phone numbers of every region and emails, in many shapes, never survive free text.

The shapes come from tests/support/pii_shapes.py; the outputs that carry free text (API answers, exports) are
checked against the same shapes in tests/integration/test_redaction_outputs.py.
"""

from __future__ import annotations

import logging

from hypothesis import example, given

from aurion.logs import ScrubbingFormatter
from aurion.redaction import RedactingFilter, redact_text
from tests.support.pii_shapes import UNIT_SETTINGS, Plants, free_texts, leaks

# The shapes an adversarial pass found surviving the regular expressions we had (issue 13).
FOUND = [
    ("call 06  12  34  56  02 today", "0612345602"),
    ("call 06/12/34/56/03 today", "0612345603"),
    ("call 555\u2013123\u20134504 today", "5551234504"),
    ("call \uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff10\uff15 today", "0612345605"),
    ("call phone0612345606 today", "0612345606"),
    ("call 06_12_34_56_07 today", "0612345607"),
]


def test_the_shapes_found_in_exports_are_redacted():
    for text, digits in FOUND:
        # When a text with the shape is redacted, then nothing before the last 4 digits is left
        assert leaks(redact_text(text) or "", Plants(text, numbers=[digits])) == [], text
    # And an address on an internationalised domain is masked like any other
    assert redact_text("write to jürgen@müller.de now") == "write to j***@müller.de now"


@UNIT_SETTINGS
@given(free_texts())
@example(Plants("call 06  12  34  56  02 or jürgen@müller.de", ["0612345602"], [("jürgen", "müller.de")]))
def test_no_planted_number_or_email_survives_redaction(plants):
    # Given free text with phone numbers and emails in generated shapes
    # When it is redacted
    redacted = redact_text(plants.text) or ""
    # Then no number keeps more than its last 4 digits, and each email is shown as its first character and domain
    assert leaks(redacted, plants) == [], redacted


@UNIT_SETTINGS
@given(free_texts())
def test_redaction_is_idempotent(plants):
    # Redacting twice (a value redacted at the source, then again by an export) changes nothing more
    once = redact_text(plants.text)
    assert redact_text(once) == once


@UNIT_SETTINGS
@given(free_texts())
def test_a_framework_log_line_holds_no_planted_number_or_email(plants):
    # Given a third-party logger's record that quotes the text
    record = logging.LogRecord("aws_lambda_powertools", logging.INFO, __file__, 1, "body: %s", (plants.text,), None)
    # When the redacting filter sees it
    RedactingFilter().filter(record)
    # Then the line holds none of it
    assert leaks(record.getMessage(), plants) == []


@UNIT_SETTINGS
@given(free_texts())
def test_a_service_log_line_holds_no_planted_number_or_email(plants):
    # Given a record of our own logger that quotes the text, in its message and in an extra field
    record = logging.LogRecord("aurion-analytics", logging.INFO, __file__, 1, "body: %s", (plants.text,), None)
    record.note = plants.text
    # When the service's formatter writes it (JSON, with its timestamp and location)
    line = ScrubbingFormatter().format(record)
    # Then the line holds none of it, and is still the record's JSON line
    assert leaks(line, plants, masked_here=False) == [], line
    assert line.startswith("{")
    assert '"level":"INFO"' in line
