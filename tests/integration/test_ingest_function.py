"""The ingest function (functions/ingest/app.py) on SQS events: Powertools partial batch failures, logs."""

from __future__ import annotations

import json
import re
import uuid

from tests.support.api import FakeLambdaContext
from tests.support.database import REPO
from tests.support.ingest_events import HelpdeskEvents, messages, sqs_event

PLACEHOLDER_TENANT = "00000000-0000-0000-0000-000000000000"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def with_fresh_ids(text: str, tenant: str) -> str:
    """The sample with its tenant and new ids: another test applies the same sample to its own tenant, and an id
    that already belongs to another tenant is rightly rejected."""
    fresh: dict[str, str] = {PLACEHOLDER_TENANT: tenant}
    return UUID.sub(lambda match: fresh.setdefault(match.group(0), str(uuid.uuid4())), text)


def test_the_sample_event_applies_its_team_and_conversation(functions, build, owner_conn):
    # Given the sample SQS batch of events/ingest.json for a real tenant
    tenant = build.tenant()
    event = json.loads(with_fresh_ids((REPO / "events" / "ingest.json").read_text(), str(tenant)))
    # When the function handles it
    result = functions("ingest").lambda_handler(event, FakeLambdaContext())
    # Then nothing is reported as failed and the conversation is stored with its team
    assert result == {"batchItemFailures": []}
    assert owner_conn.run(
        "SELECT t.name, c.status FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.tenant_id = :t",
        t=tenant,
    ) == [["Tier 1", "resolved"]]


def test_only_messages_that_cannot_be_applied_yet_are_reported_as_batch_item_failures(functions, build):
    # Given a batch: a valid event, an invalid one, a body naming no tenant, an event of an unknown tenant
    tenant = build.tenant()
    invalid = HelpdeskEvents(tenant).team(name="")
    unknown_tenant = HelpdeskEvents("5e1f0000-0000-4000-8000-00000000abcd").team()
    batch = messages([HelpdeskEvents(tenant).team(), invalid, "{}", unknown_tenant])
    # When the function handles it
    result = functions("ingest").lambda_handler(sqs_event(batch), FakeLambdaContext())
    # Then SQS is asked to redeliver only the unattributable message and the held one; the invalid event is
    # acknowledged (recorded as rejected), the valid one applied
    assert result == {"batchItemFailures": [{"itemIdentifier": batch[2][0]}, {"itemIdentifier": batch[3][0]}]}


def test_a_batch_that_fails_entirely_is_reported_not_raised(functions):
    batch = messages(["not json", "[]"])
    result = functions("ingest").lambda_handler(sqs_event(batch), FakeLambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": message_id} for message_id, _ in batch]}


def test_logs_name_ids_and_reasons_but_never_an_events_personal_data(functions, build, caplog):
    # Given an invalid contact event full of personal data, and a valid one
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    broken = events.contact(name="Zoë Secret-Name", email="zoe.secret@example.org", phone="+33699887766")
    broken["data"]["phone"] = "+33 6 99 88 77 66 (mobile)"
    valid = events.contact(name="Yannick Private", email="yannick.private@example.org", phone="+33611223344")
    # When the function handles them
    functions("ingest").lambda_handler(sqs_event(messages([broken, valid])), FakeLambdaContext())
    # Then the rejection is logged with its ids and reason
    rejected = [vars(r) for r in caplog.records if r.getMessage() == "ingest event rejected"]
    assert [(r["event_id"], r["entity_id"], r["reason"]) for r in rejected] == [
        (broken["event_id"], broken["data"]["id"], "data.phone: String should match pattern '^\\+[1-9][0-9]{6,14}$'")
    ]
    # And no name, email or number appears in any record, before the formatter's scrubbing even
    output = json.dumps([vars(record) for record in caplog.records], default=str, ensure_ascii=False)
    for secret in ("Zoë", "Secret-Name", "zoe.secret", "99 88 77", "Yannick", "yannick.private", "611223344"):
        assert secret not in output
