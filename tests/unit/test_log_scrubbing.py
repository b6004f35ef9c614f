"""Log lines never carry tokens, API keys, phone numbers or email addresses."""

from __future__ import annotations

import pytest

from aurion.logs import scrub


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
