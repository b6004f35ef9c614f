"""Export destinations through the exports API and the delivery function, AWS in moto (in-process): who may manage
them, the webhook secret shown once, the SSRF guard at creation, and the open-relay attack: an outside address
is mailed a code (never an export) and cannot be attached until an admin submits that code."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends

from aurion.exports.delivery_config import get_delivery_config
from local.exports_loop import sqs_event
from tests.support.api import FakeLambdaContext
from tests.support.exports import REGION, SCHEDULES_PATH, Aws, Exports, export_body

DESTINATIONS = "/api/v1/analytics/export-destinations"
SENDER = "exports@aurion.test"
SCHEDULE = {"name": "Weekly", "cadence": "weekly", "weekday": "monday", "time_of_day": "06:00", "format": "csv"}


class Deliveries:
    def __init__(self, aws: Aws, function: Any, queue_url: str) -> None:
        self.aws, self.function, self.queue_url = aws, function, queue_url

    def run(self) -> list[str]:
        """Hand the delivery queue's messages to the delivery function; what it answered for each."""
        messages = self.aws.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                AttributeNames=["All"]).get("Messages", [])  # fmt: skip
        if not messages:
            return []
        result = self.function.lambda_handler(sqs_event(messages, "arn:aws:sqs:eu-west-1:1:d", REGION),
                                              FakeLambdaContext())  # fmt: skip
        assert result["batchItemFailures"] == []
        for message in messages:
            self.aws.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [next(iter(json.loads(message["Body"]))) for message in messages]


@pytest.fixture
def deliveries(exports: Exports, functions, monkeypatch) -> Iterator[Deliveries]:
    queue_url = exports.aws.sqs.create_queue(QueueName="export-deliveries")["QueueUrl"]
    import boto3

    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    monkeypatch.setenv("EXPORT_DELIVERY_QUEUE_URL", queue_url)
    monkeypatch.setenv("EXPORT_EMAIL_SENDER", SENDER)
    monkeypatch.delenv("EXPORT_WEBHOOK_ALLOW_PRIVATE", raising=False)
    get_delivery_config.cache_clear()
    yield Deliveries(exports.aws, functions("export_delivery"), queue_url)
    get_delivery_config.cache_clear()


def sent_emails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def create(exports: Exports, body: dict[str, Any], **kwargs: Any) -> Any:
    return exports.request("POST", DESTINATIONS, body=body, **kwargs)


def test_only_admins_manage_destinations_and_a_viewer_gets_the_spec_403(exports, deliveries):
    for role in ("tenant_readonly", "analyst", "agent"):
        response = create(exports, {"kind": "webhook", "name": "BI", "url": "https://93.184.216.34/h"}, role=role)
        assert response.status == 403
        assert set(response.body) == {"detail"}
        assert exports.request("GET", DESTINATIONS, role=role).status == 403


def test_a_webhook_secret_is_shown_once_and_never_listed(exports, deliveries):
    created = create(exports, {"kind": "webhook", "name": "BI", "url": "https://93.184.216.34/hooks"})
    assert created.status == 201, created.body
    assert created.body["signing_secret"].startswith("whsec_")
    destination = created.body["destination"]
    assert (destination["verified"], destination["enabled"], destination["disabled_reason"]) == (True, True, None)
    listing = exports.request("GET", DESTINATIONS)
    assert listing.body["destinations"] == [destination]
    assert created.body["signing_secret"] not in json.dumps(listing.body)


@pytest.mark.parametrize(
    "url",
    ["http://93.184.216.34/h", "https://127.0.0.1/h", "https://10.0.0.7/h", "https://169.254.169.254/latest",
     "https://[::1]/h", "https://localhost/h"],
)  # fmt: skip
def test_a_webhook_to_a_private_or_non_https_target_is_refused_with_nothing_created(exports, deliveries, url):
    response = create(exports, {"kind": "webhook", "name": "SSRF", "url": url})
    assert response.status == 422
    assert response.body["detail"][0]["loc"] == ["body", "url"]
    assert response.body["detail"][0]["type"] == "unsafe_url"
    assert exports.request("GET", DESTINATIONS).body["destinations"] == []


def test_the_explicit_local_setting_lets_a_webhook_target_a_local_receiver(exports, deliveries, monkeypatch):
    monkeypatch.setenv("EXPORT_WEBHOOK_ALLOW_PRIVATE", "true")
    get_delivery_config.cache_clear()
    response = create(exports, {"kind": "webhook", "name": "Local", "url": "http://127.0.0.1:8123/h"})
    assert response.status == 201, response.body


def test_an_unverified_outside_address_gets_a_code_never_an_export_and_cannot_be_attached(exports, deliveries, build):
    # Given an admin adds an address that is no user of the tenant
    sent_before = len(sent_emails())
    created = create(exports, {"kind": "email", "name": "Outsider", "email": "victim@elsewhere.example"})
    assert created.status == 201, created.body
    destination = created.body["destination"]
    assert (destination["verified"], created.body["signing_secret"]) == (False, None)
    destination_id = destination["destination_id"]
    # When it is attached to a schedule or named by an on-demand export: refused, nothing created or queued
    schedule = exports.request("POST", SCHEDULES_PATH, body={**SCHEDULE, "destination_ids": [destination_id]})
    assert schedule.status == 422
    assert schedule.body["detail"][0]["loc"] == ["body", "destination_ids", "0"]
    assert schedule.body["detail"][0]["type"] == "unverified_destination"
    export = exports.create(export_body(notify_destination_ids=[destination_id]))
    assert export.status == 422
    assert export.body["detail"][0]["type"] == "unverified_destination"
    assert exports.request("GET", SCHEDULES_PATH).body["schedules"] == []
    assert exports.aws.receive() == []
    # Then the delivery function mails that address a code, and nothing else
    assert deliveries.run() == ["verify_destination_id"]
    (message,) = sent_emails()[sent_before:]
    assert message.destinations["ToAddresses"] == ["victim@elsewhere.example"]
    assert "http" not in message.body
    (code,) = re.findall(r"^ {4}(\S+)$", message.body, flags=re.M)
    # And a wrong code verifies nothing; the code it received does
    wrong = exports.request("POST", f"{DESTINATIONS}/{destination_id}/verify", body={"token": "guess"})
    assert wrong.status == 422
    assert wrong.body["detail"][0]["type"] == "invalid_token"
    right = exports.request("POST", f"{DESTINATIONS}/{destination_id}/verify", body={"token": code})
    assert right.status == 200, right.body
    assert right.body["verified"] is True
    assert exports.request("POST", f"{DESTINATIONS}/{destination_id}/verify", body={"token": code}).status == 409
    # And only now may a schedule deliver to it
    schedule = exports.request("POST", SCHEDULES_PATH, body={**SCHEDULE, "destination_ids": [destination_id]})
    assert schedule.status == 201, schedule.body
    assert schedule.body["destination_ids"] == [destination_id]


def test_a_tenant_users_own_address_is_verified_at_once_and_sent_no_code(exports, deliveries, build):
    build.user(exports.tenant, "Ada Admin")
    created = create(exports, {"kind": "email", "name": "Ada", "email": "ADA.ADMIN@example.com"})
    assert created.status == 201, created.body
    assert created.body["destination"]["verified"] is True
    assert deliveries.run() == []


def test_another_tenants_destination_is_unknown_to_this_one(exports, deliveries, build):
    theirs = create(exports, {"kind": "webhook", "name": "B", "url": "https://93.184.216.34/h"}, tenant=build.tenant())
    assert theirs.status == 201, theirs.body
    theirs_id = theirs.body["destination"]["destination_id"]
    assert exports.request("GET", f"{DESTINATIONS}/{theirs_id}").status == 404
    assert exports.request("GET", f"{DESTINATIONS}/{theirs_id}/deliveries").status == 404
    assert exports.request("DELETE", f"{DESTINATIONS}/{theirs_id}").status == 404
    export = exports.create(export_body(notify_destination_ids=[theirs_id]))
    assert export.status == 422
    assert export.body["detail"][0]["type"] == "unknown_destination"
    assert exports.request("GET", f"{DESTINATIONS}/{uuid.uuid4()}").status == 404
    assert exports.request("GET", f"{DESTINATIONS}/not-a-uuid").status == 404


def test_a_schedules_destinations_are_replaced_by_an_update_and_kept_by_a_rename(exports, deliveries):
    one = create(exports, {"kind": "webhook", "name": "1", "url": "https://93.184.216.34/1"}).body["destination"]
    two = create(exports, {"kind": "webhook", "name": "2", "url": "https://93.184.216.34/2"}).body["destination"]
    schedule = exports.request("POST", SCHEDULES_PATH, body={**SCHEDULE, "destination_ids": [one["destination_id"]]})
    path = f"{SCHEDULES_PATH}/{schedule.body['schedule_id']}"
    renamed = exports.request("PATCH", path, body={"name": "Renamed"})
    assert renamed.body["destination_ids"] == [one["destination_id"]]
    moved = exports.request("PATCH", path, body={"destination_ids": [two["destination_id"]]})
    assert moved.status == 200, moved.body
    assert moved.body["destination_ids"] == [two["destination_id"]]
    assert exports.request("DELETE", f"{DESTINATIONS}/{two['destination_id']}").status == 204
    assert exports.request("GET", path).body["destination_ids"] == []
