"""No log line of a full run carries a session token, an API key, a phone number or an email address.

One run through the main flows, through the local gateway with every function as deployed: the authorizer with
valid, garbled, forged and expired tokens and X-API-Keys, every GET route, phone searches with full numbers,
exports of contacts with emails and phones (created, produced by the worker, downloaded), a malformed queue
message holding a number and an email. Every log record of every logger is captured at DEBUG and rendered as
it would be written: the service logger's records with its own (scrubbing) formatter, everyone else's as the
Lambda runtime writes them (message, extra fields, traceback). The scan looks for the values actually planted
(the tokens issued, the keys, every phone and email of the tenant's rows, the numbers searched) and for their
generic shapes.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest

from local.exports_loop import WORKER_FUNCTION, sqs_event
from local.sam_model import load_api_model
from tests.support.database import REPO
from tests.support.routes import RECIPES, V1, V2
from tests.support.stack import REGION, V1_RANGE, Stack, local_stack

SERVICE_LOGGER = "aurion-analytics"
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", (), None))) | {"message", "asctime"}
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
API_KEY = re.compile(r"itsm_sk_[A-Za-z0-9_]{6,}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
E164 = re.compile(r"\+\d[\d\s().-]{6,}\d")
SEPARATORS = re.compile(r"[\s().+-]")


def render(record: logging.LogRecord) -> str:
    """The line the record becomes in CloudWatch."""
    if record.name == SERVICE_LOGGER or record.name.startswith(f"{SERVICE_LOGGER}."):
        handler = logging.getLogger(SERVICE_LOGGER).handlers[0]
        assert handler.formatter is not None
        return handler.formatter.format(record)
    try:
        message = record.getMessage()
    except Exception:  # a malformed record still gets scanned
        message = f"{record.msg!r} {record.args!r}"
    extras = {key: value for key, value in vars(record).items() if key not in _STANDARD}
    trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
    return f"[{record.levelname}] {record.name} {message} {extras!r} {trace}"


class LineCollector(logging.Handler):
    """Every record of every logger, rendered; except moto's (it stands in for AWS, whose logs are not ours) and
    while the test harness itself plays AWS (seeding the database, sending and receiving queue messages)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._paused = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self._paused and not record.name.startswith("moto"):
            self.lines.append(render(record))

    @contextmanager
    def paused(self) -> Iterator[None]:
        self._paused = True
        try:
            yield
        finally:
            self._paused = False


@dataclass
class Run:
    lines: list[str]
    tokens: set[str] = field(default_factory=set)
    api_keys: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def log_capture() -> Iterator[LineCollector]:
    """The collector on the root logger and on every logger that does not propagate to it (Powertools' own
    package logger, which its POWERTOOLS_DEBUG mode turns on), everything at DEBUG."""
    collector = LineCollector()
    root = logging.getLogger()
    islands = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    verbose = [root, logging.getLogger(SERVICE_LOGGER), logging.getLogger("aws_lambda_powertools"), *islands]
    levels = [(logger, logger.level) for logger in verbose]
    for logger in [root, *islands]:
        logger.addHandler(collector)
    for logger in verbose:
        logger.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        for logger in [root, *islands]:
            logger.removeHandler(collector)
        for logger, level in levels:
            logger.setLevel(level)


def random_key() -> str:
    return "itsm_sk_live_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))


def spaced(number: str) -> str:
    """+33612345678 -> +33 6 12 34 56 78 (a form a person types)."""
    digits = number.lstrip("+")
    return "+" + digits[:2] + " " + digits[2] + " " + " ".join(digits[i : i + 2] for i in range(3, len(digits), 2))


def run_worker(stack: Stack, harness: LineCollector) -> dict[str, Any]:
    """The SQS event source mapping (AWS: not logged) invoking the worker (ours: logged)."""
    with harness.paused():
        messages = stack.receive()
    result = stack.gateway.runtime.invoke(WORKER_FUNCTION, sqs_event(messages, stack.queue_arn, REGION))
    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    with harness.paused():
        for message in messages:
            if message["MessageId"] not in failed:
                stack.sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return {**result, "received": len(messages)}


def full_run(stack: Stack, run: Run, harness: LineCollector) -> None:
    with harness.paused():
        tenant = stack.seed("logscan", seed=21)
    owner = stack.owner
    run.phones |= {str(row[0]) for row in owner.run("SELECT phone_number FROM calls WHERE tenant_id = :t", t=tenant)}
    run.phones |= {
        str(row[0])
        for row in owner.run("SELECT phone FROM contacts WHERE tenant_id = :t AND phone IS NOT NULL", t=tenant)
    }
    for sql in (
        "SELECT email FROM contacts WHERE tenant_id = :t AND email IS NOT NULL",
        "SELECT email FROM users WHERE tenant_id = :t",
        "SELECT address FROM email_channels WHERE tenant_id = :t",
    ):
        run.emails |= {str(row[0]) for row in owner.run(sql, t=tenant)}
    assert run.phones, "the seeded tenant must hold phone numbers for the scan to mean anything"
    assert run.emails, "the seeded tenant must hold email addresses for the scan to mean anything"
    admin = stack.token("tenant_admin", tenant)

    def answer(name: str, method: str, path: str, **kwargs: Any) -> Any:
        result = stack.request(method, path, **kwargs)
        run.answers[name] = result.status
        return result

    # The authorizer: valid, garbled, forged, expired, wrong scheme, API keys
    forged = stack.token("tenant_admin", tenant)
    forged = forged[: forged.rindex(".") + 1] + "c2lnbmF0dXJlLW5vdC12YWxpZA"
    garbled = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.Z2FyYmxlZA"
    expired = stack.token("tenant_admin", tenant, ttl_seconds=-60)
    unknown_key = random_key()
    run.tokens |= {forged, garbled, expired}
    run.api_keys.add(unknown_key)
    teams = f"{V2}/conversations/teams"
    answer("forged token", "GET", teams, token=forged)
    answer("garbled token", "GET", teams, token=garbled)
    answer("garbage token", "GET", teams, headers={"Authorization": f"Bearer {garbled}!!"})
    answer("expired token", "GET", teams, token=expired)
    answer("token in basic auth", "GET", teams, headers={"Authorization": f"Basic {admin}"})
    answer("unknown api key", "GET", teams, headers={"X-API-Key": unknown_key})
    if ("POST", f"{V2}/api-keys") in RECIPES and _routed("POST", f"{V2}/api-keys"):
        answer("api keys on", "PUT", f"{V2}/api-keys/access", token=admin, body={"enabled": True})
        created = answer("api key created", "POST", f"{V2}/api-keys", token=admin, body={"name": "log scan"})
        key = json.loads(created.body)["api_key"]
        run.api_keys.add(key)
        answer("api key read", "GET", teams, headers={"X-API-Key": key})
        answer("api key on an admin route", "GET", f"{V1}/exports", headers={"X-API-Key": key})

    # Every GET route of the template that takes no path parameter, as an admin (reads, lists)
    phone = sorted(run.phones)[0]
    for (method, resource), recipe in RECIPES.items():
        if method == "GET" and "{" not in resource and _routed(method, resource):
            query = recipe.query.replace("{phone}", quote(phone, safe=""))
            answer(resource, "GET", f"{resource}?{query}" if query else resource, token=admin)

    # Phone searches with full numbers, in the forms people type, and one that is not a number at all
    searched = [phone, spaced(phone), phone.lstrip("+"), sorted(run.phones)[-1]]
    run.phones |= set(searched)
    for i, term in enumerate(searched):
        answer(f"search {i}", "GET", f"{V1}/search?phone={quote(term, safe='')}&{V1_RANGE}", token=admin)
    email = sorted(run.emails)[0]
    answer("search by email", "GET", f"{V1}/search?phone={quote(email, safe='')}&{V1_RANGE}", token=admin)

    # Exports with everything personal in them: created, produced, downloaded; a schedule whose name holds an email
    for fmt in ("csv", "json"):
        created = answer(
            f"export {fmt}", "POST", f"{V1}/export", token=admin,
            body={"format": fmt, "start_date": "2026-02-27", "end_date": "2026-03-09", "scope": "all",
                  "include_call_details": True, "include_transcripts": True, "include_conversations": True},
        )  # fmt: skip
        assert created.status == 200, created.body
    with harness.paused():
        stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=f"call {phone} or write to {email}")
    worker = run_worker(stack, harness)
    assert worker["received"] == 3
    assert len(worker["batchItemFailures"]) == 1  # the malformed one
    listing = json.loads(answer("exports", "GET", f"{V1}/exports", token=admin).body)
    for item in listing["exports"]:
        assert item["status"] == "succeeded", item
        answer(f"download {item['format']}", "GET", f"{V1}/export/{item['export_id']}/download", token=admin)
    answer(
        "schedule", "POST", f"{V1}/export-schedules", token=admin,
        body={"name": f"Monday for {email}", "cadence": "daily", "time_of_day": "06:00", "format": "csv"},
    )  # fmt: skip
    run.tokens |= set(stack.tokens)


_MODEL = load_api_model(REPO / "template.yaml", REPO)


def _routed(method: str, resource: str) -> bool:
    return any(route.method == method and route.resource == resource for route in _MODEL.routes)


@pytest.fixture(scope="module")
def run(database, owner_conn, log_capture) -> Run:
    with local_stack(database, owner_conn) as stack:
        result = Run(lines=log_capture.lines)
        full_run(stack, result, log_capture)
    return result


def findings(lines: list[str], needles: set[str]) -> list[str]:
    return [f"{needle!r} in {line[:200]!r}" for line in lines for needle in needles if needle in line]


def test_the_run_went_through_every_flow_and_its_lines_were_captured(run):
    # The scans below mean something only if the flows happened and their lines were seen
    assert run.answers["forged token"] == run.answers["expired token"] == run.answers["garbled token"] == 401
    assert run.answers["unknown api key"] == 403
    assert run.answers["search 0"] == 200
    assert run.answers["download csv"] == run.answers["download json"] == 302
    text = "\n".join(run.lines)
    for expected in (
        "request not authenticated",  # the authorizer
        "call search",  # the phone search
        "export produced",  # the worker
        "malformed export message",
        "Calling API Route Handler",  # Powertools' own DEBUG lines (its package logger does not propagate)
        "Making request for OperationModel(name=UploadPart)",  # botocore's DEBUG lines of the worker's uploads
    ):
        assert expected in text, expected
    assert len(run.lines) > 100


def test_no_session_token_or_api_key_is_in_any_log_line(run):
    assert findings(run.lines, run.tokens | run.api_keys) == []
    # Nor anything shaped like one (a token's signature part alone is not enough to use it, but neither is logged)
    assert [line[:200] for line in run.lines if JWT.search(line) or API_KEY.search(line)] == []


def test_no_planted_phone_number_is_in_any_log_line_in_any_format(run):
    assert findings(run.lines, run.phones) == []
    # Also with separators removed: "+33 6 12 34 56 78" is the same number
    digits = {SEPARATORS.sub("", phone) for phone in run.phones}
    assert findings([SEPARATORS.sub("", line) for line in run.lines], digits) == []
    assert [line[:200] for line in run.lines if E164.search(line)] == []


def test_no_planted_email_address_is_in_any_log_line(run):
    assert findings(run.lines, run.emails) == []
    assert [match.group(0) for line in run.lines for match in EMAIL.finditer(line)] == []


def test_the_scan_would_see_a_leak(log_capture):
    # The capture and the scan together catch a value logged by any library, at any level
    phone, key = "+33699887766", random_key()
    logging.getLogger("some.library").debug("calling %s with key %s", phone, key)
    logging.getLogger(SERVICE_LOGGER).info("scrubbed", extra={"contact": phone})
    assert len(findings(log_capture.lines[-2:], {phone, key})) == 2
    assert phone not in log_capture.lines[-1]  # the service logger's formatter scrubbed its own line
