"""An exported free-text value is redacted whatever script its digits or at-sign are written in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from aurion.exports.columns import Column
from aurion.exports.pii import row_converter

SUBJECT = Column("subject_redacted", "text", pii="text")
# 0612345678 in full-width digits (U+FF10..U+FF19).
FULL_WIDTH_NUMBER = "".join(chr(0xFF10 + int(digit)) for digit in "0612345678")


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        # Full-width digits and at-sign: no ASCII digit and no "@" for a quick look to notice
        (f"Call me on {FULL_WIDTH_NUMBER} please", "Call me on ***-***-5678 please"),
        ("Write to jane\uff20example.com", "Write to j***@example.com"),
        ("Call me on 0612345678", "Call me on ***-***-5678"),
    ],
    ids=["full-width-digits", "full-width-at-sign", "ascii-digits"],
)
def test_a_subject_holding_a_number_or_an_email_in_any_script_is_redacted(text, redacted):
    # Given a conversation subject holding a phone number or an email
    convert = row_converter((SUBJECT,), ZoneInfo("UTC"))
    # When the export converts it
    [value] = convert([text])
    # Then it is written redacted, as the API redacts it
    assert value == redacted


def test_plain_text_is_written_as_it_is():
    convert = row_converter((SUBJECT,), ZoneInfo("UTC"))
    assert convert(["Password reset, café"]) == ("Password reset, café",)
