"""Redaction of phone numbers, emails and free text: the one definition responses, exports and logs use."""

from __future__ import annotations

import logging

import pytest

from aurion.redaction import RedactingFilter, mask_email, redact_phone, redact_text


@pytest.mark.parametrize(
    ("number", "redacted"),
    [
        ("+33612345678", "***-***-5678"),
        ("+33 6 12 34 56 78", "***-***-5678"),
        ("(555) 123-4567", "***-***-4567"),
        ("5678", "***-***-5678"),
        ("123", "***-***-****"),
        ("", "***-***-****"),
        (None, "***-***-****"),
        ("no digits", "***-***-****"),
        ("+٣٣٦١٢٣٤٥٦٧٨", "***-***-****"),  # Arabic-Indic digits are not the ASCII digits of a stored number
    ],
)
def test_a_phone_number_keeps_only_its_last_four_digits(number, redacted):
    assert redact_phone(number) == redacted


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("john.doe@example.com", "j***@example.com"),
        ("J@Example.COM", "J***@Example.COM"),
        ("  ann+tag@mail.example.org ", "a***@mail.example.org"),
        ("odd@name@example.com", "o***@example.com"),  # the domain is what follows the last @
        ("@example.com", "***@example.com"),
        ("not-an-address", "***"),
        ("trailing@", "***"),
        ("", "***"),
        (None, "***"),
    ],
)
def test_an_email_keeps_its_first_character_and_its_domain(address, masked):
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Call me back on +33 6 12 34 56 78 please", "Call me back on ***-***-5678 please"),
        ("my number is 0612345678.", "my number is ***-***-5678."),
        ("US: (555) 123-4567 or +1-555-123-4567", "US: ***-***-4567 or ***-***-4567"),
        ("+33 (0)6 12 34 56 78", "***-***-5678"),
        ("06.12.34.56.78, ok", "***-***-5678, ok"),
        ("mail john.doe@example.com now", "mail j***@example.com now"),
        ("john.0612345678@example.com", "j***@example.com"),  # the digits go with the address
        ("card 4111 1111 1111 1111", "card ***-***-1111"),  # longer runs are redacted too
        ("0612345678 - 5 minutes later", "***-***-5678 - 5 minutes later"),
    ],
)
def test_free_text_loses_its_phone_numbers_and_emails(text, redacted):
    assert redact_text(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "On 2026-03-29 at 09:15 the caller said hello",
        "Invoice dated 29.03.2026 or 29/03/2026 or 3/29/2026",
        "Ticket 12345, 3 calls, 1,250.00 EUR, room 101",
        "Version 1.2.3, at 10:30:45",
        "",
    ],
)
def test_dates_times_and_short_numbers_are_left_alone(text):
    assert redact_text(text) == text


def test_no_text_stays_none():
    assert redact_text(None) is None


def test_the_log_filter_rewrites_route_arguments_and_numbers_in_messages():
    record = logging.LogRecord(
        "aws_lambda_powertools.event_handler.api_gateway",
        logging.DEBUG,
        __file__,
        1,
        "Calling API Route Handler: %s",
        ({"phone": "+33612345678"},),
        None,
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "Calling API Route Handler: [arguments not logged]"
    other = logging.LogRecord("x", logging.INFO, __file__, 1, "caller %s wrote to %s", ("0612345678", "a@b.io"), None)
    RedactingFilter().filter(other)
    assert other.getMessage() == "caller ***-***-5678 wrote to a***@b.io"
