"""The cheap first test of free text (aurion.redaction.may_hold_personal_data): what it lets through untouched.

It decides which exported texts skip the phone library, so it may say "maybe" too often but never "no" to a
text with 7 digits of any script or an at-sign of any width.
"""

from __future__ import annotations

import pytest

from aurion.redaction import may_hold_personal_data


@pytest.mark.parametrize(
    "text",
    [
        "Call me at 555 123 4567",
        "jane@example.com",
        "jane\uff20example.com",  # fullwidth at-sign
        "jane\ufe6bexample.com",  # small at-sign
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667",  # Arabic-Indic digits
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17",  # fullwidth digits
        "\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078",  # superscripts count as digits too
        "1 2 3 4 5 6 7",
    ],
)
def test_text_that_may_hold_a_number_or_an_email_is_looked_at(text):
    assert may_hold_personal_data(text) is True


@pytest.mark.parametrize("text", ["", "Refund request", "order 123456", "x" * 500, "Ticket #12-34-5"])
def test_text_with_fewer_than_seven_digits_and_no_at_sign_is_passed_untouched(text):
    assert may_hold_personal_data(text) is False
