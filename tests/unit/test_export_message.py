"""The export worker's SQS message body, parsed by Powertools Parser: what names an export, and why a body does not."""

from __future__ import annotations

import pytest

from aurion.exports.worker import ExportMessage, MalformedMessage, parse_message

EXPORT = "c0ffee00-1234-5678-9abc-def012345678"
TENANT = "7e1a2b3c-0000-4000-8000-000000000001"


def test_a_body_with_both_ids_names_the_export_and_ignores_other_keys():
    # Given the body aurion.exports.queue sends, with an extra key / When parsed / Then it names the export
    body = f'{{"export_id": "{EXPORT}", "tenant_id": "{TENANT}", "sent_by": "scheduler"}}'
    assert parse_message(body) == ExportMessage(export_id=EXPORT, tenant_id=TENANT)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "body is not JSON"),
        ("export please", "body is not JSON"),
        (f'["{EXPORT}", "{TENANT}"]', "body is not a JSON object"),
        ('"just a string"', "body is not a JSON object"),
        (f'{{"export_id": "{EXPORT}"}}', "export_id or tenant_id missing or not a UUID"),
        (f'{{"export_id": "{EXPORT}", "tenant_id": "acme"}}', "export_id or tenant_id missing or not a UUID"),
        ('{"export_id": 1, "tenant_id": 2}', "export_id or tenant_id missing or not a UUID"),
    ],
    ids=["no-body", "text", "array", "string", "no-tenant", "tenant-not-uuid", "numbers"],
)
def test_a_body_that_names_no_export_is_malformed_with_its_reason(body, reason):
    # Given a body that cannot name an export / When parsed / Then it is malformed, and the reason says why
    with pytest.raises(MalformedMessage) as raised:
        parse_message(body)
    assert str(raised.value) == reason
