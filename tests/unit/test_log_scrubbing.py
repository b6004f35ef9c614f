"""Log lines never carry tokens, API keys, phone numbers or email addresses."""

from __future__ import annotations

import json
import logging

import pytest

from aurion.logs import ScrubbingFormatter, scrub


@pytest.mark.parametrize(
    "secret",
    [
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl",
        "itsm_sk_live_AbCdEf123456",
        "jane.doe@example.com",
        "+33 6 12 34 56 78",
        "+33612345678",
        "(415) 555-2671",
        "415-555-2671",
        "0612345678",
    ],
)
def test_secrets_and_personal_data_are_removed_from_a_line(secret):
    line = f'{{"message": "caller said {secret} twice"}}'
    assert secret not in scrub(line)


@pytest.mark.parametrize(
    "kept",
    [
        "2026-03-01 10:15:00,123+0000",
        "2026-03-01T10:15:00Z",
        "arn:aws:lambda:eu-west-1:123456789012:function:aurion",
        "c0ffee00-1234-5678-9abc-def012345678",
        "took 1234 ms",
    ],
)
def test_timestamps_ids_and_small_numbers_survive(kept):
    assert kept in scrub(f"value {kept} end")


def _formatted(message: str, **extra: object) -> dict:
    """One line as the package logger's formatter writes it."""
    record = logging.LogRecord("aurion", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return json.loads(ScrubbingFormatter().format(record))


def test_counts_and_durations_stay_numbers_and_the_line_stays_json():
    # Given a line with a large count, an epoch-sized lag and a phone number in text
    # When the package's formatter writes it
    line = _formatted("export produced", rows=1_000_000, lag_seconds=1796627755.6261, note="call +33612345678")

    # Then the line is JSON, the numbers are the numbers, and the phone number is gone
    assert (line["rows"], line["lag_seconds"]) == (1_000_000, 1796627755.6261)
    assert "33612345678" not in line["note"]


def test_an_object_logged_as_its_text_is_scrubbed():
    # Given a value the JSON serializer would write as its str(), which holds an email address
    class Caller:
        def __str__(self) -> str:
            return "caller jane.doe@example.com"

    # When it is logged
    line = _formatted("lookup", caller=Caller(), callers=[Caller()])

    # Then the address is in neither field
    assert "jane.doe@example.com" not in json.dumps(line)
