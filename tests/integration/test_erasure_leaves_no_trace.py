"""A contact's erasure leaves no trace of its name, email or number anywhere, and every metric stays exact.

A tenant's helpdesk data arrives through the live path (two contacts, their conversations, surveys answered in
words, calls with transcripts, LLM requests, email, article views); an admin searches the contact's number; the
aggregator rolls the days up. Then the contact's erasure arrives and the aggregator runs once. After it:
- no column of any table (every text, json, jsonb and array column, read as the owner) holds the name, the email,
  the number's digits or their reversed form (the phone search's index column);
- no answer of any read route of the template (called as the tenant's admin) holds them;
- no new export (csv, json, xlsx, pdf, with transcripts and conversations) holds them;
- every metric answer is the same as before the erasure, and the same as a raw read (rollup state dropped).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from aurion.db import Database
from aurion.ingest.consumer import consume
from aurion.rollups import aggregator
from aurion.rollups.conversations import MEDIAN_RELATIVE_ERROR, MEDIAN_ROUNDING_MINUTES
from local.sam_model import load_api_model
from tests.support.api import caller_for, get
from tests.support.database import REPO
from tests.support.exports import Exports, readable_text
from tests.support.ingest_events import HelpdeskEvents, iso, messages
from tests.support.routes import RECIPES

NAME, EMAIL, PHONE = "Wilhelmina Xandersson", "w.xandersson@example.org", "+442079460958"
DIGITS = PHONE.lstrip("+")
# Case-insensitive; the number as its digits, its national tail, and reversed (calls.phone_digits_reversed)
NEEDLES = ("wilhelmina", "xandersson", EMAIL, DIGITS, DIGITS[2:], DIGITS[::-1])
OTHER = ("Beatrix Other", "beatrix@example.net", "+14155550199")

MODEL = load_api_model(REPO / "template.yaml", REPO)
FUNCTION_DIRS = {logical_id: spec.code_dir.name for logical_id, spec in MODEL.functions.items()}
# Every read route without a path parameter, and the function that serves it.
READ_ROUTES = sorted(
    (route.resource, FUNCTION_DIRS[route.function])
    for route in MODEL.routes
    if route.method == "GET" and "{" not in route.resource and ("GET", route.resource) in RECIPES
)
# Answers that are about the aggregator's own timing, not the data.
TIMINGS = ("aggregation-health",)
# Answers that list the erased free text itself (emptied, so they differ from before the erasure), and the admin's
# own objects (this test makes exports): scanned for traces, not compared.
LISTINGS = ("csat/responses", "/search", "/exports", "/export-schedules", "/api-keys", "/imports")
MEDIAN = "resolution_minutes_median"


@pytest.fixture
def ingest_db(app_env) -> Database:
    return Database(app_env.database.app_url, statement_timeout_ms=10_000, connect_timeout_s=3)


def helpdesk_history(events: HelpdeskEvents, now) -> list[dict[str, Any]]:
    """Two contacts over the week before now: each with conversations (resolved, rated in words), calls about them
    with transcripts naming the caller, LLM requests, email messages, and views of an article."""
    team, agent = events.team(), events.user(name="Ada Agent")
    mailbox, article = events.email_channel(), events.article()
    history = [team, agent, mailbox, article]
    for c, (name, email, phone) in enumerate([(NAME, EMAIL, PHONE), OTHER]):
        contact = events.contact(name=name, email=email, phone=phone)
        history.append(contact)
        for day in range(1, 6):
            opened = now - timedelta(days=day + 1, hours=3 * c)
            conversation = events.conversation(
                contact_id=contact["data"]["id"], team_id=team["data"]["id"],
                assignee_user_id=agent["data"]["id"], email_channel_id=mailbox["data"]["id"],
                subject=f"{name} <{email}> asks about order {day}", topic="billing", created_at=iso(opened),
                first_response_at=iso(opened + timedelta(minutes=20 * day)), status="resolved",
                resolved_at=iso(opened + timedelta(hours=day)), resolved_by="human" if day % 2 else "ai",
                first_response_due_at=iso(opened + timedelta(hours=1)),
            )  # fmt: skip
            conversation_id = conversation["data"]["id"]
            survey = events.csat(
                conversation_id, contact_id=contact["data"]["id"], sent_at=iso(opened + timedelta(hours=day)),
                responded_at=iso(opened + timedelta(hours=day + 1)), rating=1 + (day + c) % 5,
                comment=f"{name} here, call {phone}", followup_answer=f"Write to {email}",
            )  # fmt: skip
            call = events.call(
                phone_number=phone, conversation_id=conversation_id, started_at=iso(opened + timedelta(minutes=5)),
                ended_at=iso(opened + timedelta(minutes=9)), duration_seconds=240, category="billing",
                outcome="resolved" if day % 3 else "escalated", transcript=f"Hello, this is {name}, {phone}",
            )  # fmt: skip
            llm = events.llm_request(call_id=call["data"]["id"], conversation_id=conversation_id,
                                     requested_at=iso(opened + timedelta(minutes=6)))  # fmt: skip
            message = events.email_message(mailbox["data"]["id"], conversation_id=conversation_id,
                                           sent_at=iso(opened))  # fmt: skip
            view = events.article_view(article["data"]["id"], contact_id=contact["data"]["id"],
                                       viewed_at=iso(opened - timedelta(minutes=30)))  # fmt: skip
            history += [conversation, survey, call, llm, message, view]
    return history


def read_everything(functions, tenant) -> dict[str, Any]:
    """Every read route's answer for the tenant's admin (the phone search asks for the erased number)."""
    caller = caller_for(tenant, "tenant_admin")
    answers = {}
    for resource, function in READ_ROUTES:
        query = RECIPES[("GET", resource)].query.replace("{phone}", quote(PHONE, safe=""))
        response = get(functions(function), f"{resource}?{query}" if query else resource, caller)
        assert response.status == 200, (resource, response.body)
        answers[resource] = response.body
    return answers


def metrics(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers that are metrics of the data: without the aggregator's timings and the free-text listings, and
    with the resolution medians apart (exact when read raw, estimated from histograms from the rollups)."""
    kept: dict[str, Any] = {}
    for resource, body in answers.items():
        if any(part in resource for part in TIMINGS + LISTINGS):
            continue
        body = {key: value for key, value in body.items() if key != "aggregation_health"}
        medians = {}
        if MEDIAN in body:
            medians["overview"] = body.pop(MEDIAN)
        if isinstance(body.get("cs"), dict) and MEDIAN in body["cs"]:
            body["cs"] = {key: value for key, value in body["cs"].items() if key != MEDIAN}
            medians["cs"] = answers[resource]["cs"][MEDIAN]
        kept[resource] = body
        if medians:
            kept[f"{resource} medians"] = medians
    return kept


def assert_same_metrics(estimated: dict[str, Any], exact: dict[str, Any]) -> None:
    """Equal, the medians within the histogram estimate's stated bound (aurion/rollups/conversations.py)."""
    for resource, body in exact.items():
        if resource.endswith(" medians"):
            for name, value in body.items():
                bound = MEDIAN_RELATIVE_ERROR * value + MEDIAN_ROUNDING_MINUTES
                assert abs(estimated[resource][name] - value) <= bound, (resource, name)
        else:
            assert estimated[resource] == body, resource
    assert set(estimated) == set(exact)


def traces(text: str) -> list[str]:
    return [needle for needle in NEEDLES if needle.lower() in text.lower()]


def table_traces(owner_conn, tenant) -> dict[str, list[str]]:
    """{table.column: needles found} over every text-like column of every table of the schema: the tenant's rows
    of the tables with a tenant_id (other tests of the session write their own tenants), every row of the others."""
    columns = owner_conn.run(
        "SELECT c.table_name, c.column_name, EXISTS (SELECT FROM information_schema.columns AS t "
        "WHERE t.table_schema = 'public' AND t.table_name = c.table_name AND t.column_name = 'tenant_id') "
        "FROM information_schema.columns AS c "
        "JOIN information_schema.tables USING (table_schema, table_name) "
        "WHERE c.table_schema = 'public' AND table_type = 'BASE TABLE' "
        "AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')"
    )
    found: dict[str, list[str]] = {}
    for table, column, owned in columns:
        mine = "tenant_id = CAST(:t AS uuid)" if owned else "CAST(:t AS text) IS NOT NULL"
        for needle in NEEDLES:
            hits = owner_conn.run(
                f'SELECT count(*) FROM "{table}" WHERE {mine} AND "{column}"::text ILIKE :pattern',
                t=str(tenant),
                pattern=f"%{needle}%",  # no needle holds % or _
            )[0][0]
            if hits:
                found.setdefault(f"{table}.{column}", []).append(needle)
    return found


def test_an_erased_contact_leaves_no_trace_in_tables_answers_or_new_exports_and_every_metric_stays_exact(
    functions, build, owner_conn, aggregator_db, ingest_db, aws, frozen_clock
):
    # Given a tenant whose history arrived through the live path, the contact's number searched by an admin, and
    # the days rolled up
    now = frozen_clock.now
    tenant = build.tenant()
    events = HelpdeskEvents(tenant)
    history = helpdesk_history(events, now)
    contact_id = next(e["data"]["id"] for e in history if e["type"] == "contact.v1" and e["data"]["name"] == NAME)
    report = consume(ingest_db, messages(history))
    assert (report.applied, report.rejected) == (len(history), 0)
    assert table_traces(owner_conn, tenant), "the scan finds the contact before the erasure"
    read_everything(functions, tenant)
    aggregator.run_tenant(aggregator_db, str(tenant))
    before = metrics(read_everything(functions, tenant))

    # When the contact's erasure arrives and the aggregator runs once
    erased = consume(ingest_db, messages([events.erasure("contact", contact_id)]))
    aggregator.run_tenant(aggregator_db, str(tenant))

    # Then no table holds any trace of the contact (the audit log's targets were redacted all along)
    assert erased.applied == 1
    assert table_traces(owner_conn, tenant) == {}
    assert owner_conn.run("SELECT count(*) > 0 FROM audit_log WHERE tenant_id = :t", t=tenant) == [[True]]
    # And no answer of any read route does
    after = read_everything(functions, tenant)
    assert {resource: traces(repr(body)) for resource, body in after.items() if traces(repr(body))} == {}
    # And no new export does, in any format
    exports = Exports(api=functions("exports"), worker=functions("export_worker"), aws=aws, tenant=tenant)
    window = {"start_date": str((now - timedelta(days=8)).date()), "end_date": str(now.date())}
    for fmt in ("csv", "json", "xlsx", "pdf"):
        _, data = exports.produce(format=fmt, scope="all", include_call_details=True, include_transcripts=True,
                                  include_conversations=True, **window)  # fmt: skip
        assert traces(readable_text(fmt, data)) == [], fmt
    # And every metric is what it was before the erasure, and what a raw read of the rows says
    assert metrics(after) == before
    owner_conn.run("DELETE FROM rollup_state WHERE tenant_id = :t", t=tenant)
    assert_same_metrics(before, metrics(read_everything(functions, tenant)))
