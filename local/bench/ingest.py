"""The live ingest path's speed: events per second through one consumer at the template's batch size, and the
lag from PutEvents to visible (through moto's bus, rule and queue, and the dev stack's loop).

    python -m local.bench.ingest [--events 20000] [--lag-events 200]    (DATABASE_URL: an owner URL of a server)

Runs in a scratch database of DATABASE_URL's server (created, migrated, dropped at the end). The events are a
helpdesk's mix: per conversation, its creation and its resolution (two versions), a CSAT survey sent and answered
for half of them, two email messages, and a call with an LLM request for every fifth. The consumer is the ingest
function's handler, invoked in this process with SQS events of BatchSize messages, as Lambda would: the time is
the handler's (parsing, validation, one transaction per tenant), not the queue's. Not part of `make bench` yet.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pg8000.native

from local import embedded_pg
from local.paths import REPO_ROOT, ensure_layer_on_path

DATABASE = "aurion_bench_ingest"
APP_PASSWORD = "aurion-bench-ingest"
START = datetime(2026, 10, 1, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def envelope(tenant_id: str, type_: str, data: dict[str, Any], version: int, at: datetime) -> dict[str, Any]:
    return {
        "type": type_,
        "tenant_id": tenant_id,
        "event_id": str(uuid.uuid4()),
        "occurred_at": iso(at),
        "version": version,
        "data": data,
    }


def helpdesk_events(tenant_id: str, conversations: int) -> Iterator[dict[str, Any]]:
    """The events of `conversations` conversations and what comes with them, in publishing order."""
    team, agent, channel = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    yield envelope(tenant_id, "team.v1", {"id": team, "name": "Tier 1", "created_at": iso(START)}, 1, START)
    yield envelope(
        tenant_id,
        "user.v1",
        {"id": agent, "team_id": team, "name": "Agent", "email": "agent@example.com", "role": "agent",
         "created_at": iso(START)},
        1,
        START,
    )  # fmt: skip
    yield envelope(
        tenant_id,
        "email_channel.v1",
        {"id": channel, "address": "support@example.com", "status": "active", "created_at": iso(START)},
        1,
        START,
    )
    for n in range(conversations):
        created = START + timedelta(minutes=3 * n)
        resolved = created + timedelta(hours=2)
        conversation = {
            "id": str(uuid.uuid4()), "channel": "email", "priority": "medium", "status": "open",
            "subject": "My order has not arrived yet", "topic": "shipping", "contact_id": str(uuid.uuid4()),
            "assignee_user_id": agent, "team_id": team, "email_channel_id": channel, "created_at": iso(created),
            "first_response_due_at": iso(created + timedelta(hours=1)),
            "resolution_due_at": iso(created + timedelta(hours=8)),
        }  # fmt: skip
        yield envelope(tenant_id, "conversation.v1", conversation, 1, created)
        for k in range(2):
            message = {
                "id": str(uuid.uuid4()), "email_channel_id": channel, "conversation_id": conversation["id"],
                "direction": ("inbound", "outbound")[k], "sent_at": iso(created + timedelta(minutes=10 * k)),
            }  # fmt: skip
            yield envelope(tenant_id, "email_message.v1", message, 1, created)
        done = {**conversation, "status": "resolved", "first_response_at": iso(created + timedelta(minutes=10)),
                "resolved_at": iso(resolved), "resolved_by": "human"}  # fmt: skip
        yield envelope(tenant_id, "conversation.v1", done, 2, resolved)
        if n % 2 == 0:
            survey = {"id": str(uuid.uuid4()), "conversation_id": conversation["id"], "channel": "email",
                      "sent_at": iso(resolved)}  # fmt: skip
            yield envelope(tenant_id, "csat_survey.v1", survey, 1, resolved)
            answered = {**survey, "responded_at": iso(resolved + timedelta(hours=3)), "rating": 1 + n % 5}
            yield envelope(tenant_id, "csat_survey.v1", answered, 2, resolved + timedelta(hours=3))
        if n % 5 == 0:
            call = {
                "id": str(uuid.uuid4()), "phone_number": "+14155550123", "direction": "inbound",
                "started_at": iso(created), "ended_at": iso(created + timedelta(minutes=6)), "duration_seconds": 360,
                "status": "completed", "outcome": "resolved", "category": "shipping", "first_call_resolution": True,
                "resolution_seconds": 300, "conversation_id": conversation["id"],
                "transcript": "Agent: Hello. Caller: My parcel is late. " * 20,
            }  # fmt: skip
            yield envelope(tenant_id, "call.v1", call, 1, created)
            request = {
                "id": str(uuid.uuid4()), "call_id": call["id"], "provider": "openai", "model": "gpt-4o-mini",
                "requested_at": iso(created + timedelta(minutes=1)), "input_tokens": 800, "output_tokens": 60,
                "latency_ms": 400,
            }  # fmt: skip
            yield envelope(tenant_id, "llm_request.v1", request, 1, created)


def bus_body(event: dict[str, Any]) -> str:
    return json.dumps({"version": "0", "id": str(uuid.uuid4()), "detail-type": event["type"],
                       "source": "aurionai.helpdesk", "time": iso(datetime.now(UTC)), "detail": event})  # fmt: skip


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": str(uuid.uuid4()), "receiptHandle": "h", "body": body, "attributes": {},
             "messageAttributes": {}, "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:local:0:ingest"}
            for body in bodies
        ]
    }  # fmt: skip


class _Context:
    function_name = "IngestFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:IngestFunction"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def measure_rate(handler: Any, tenant_id: str, events: int, batch_size: int) -> dict[str, Any]:
    bodies = [bus_body(event) for event in helpdesk_events(tenant_id, events // 6)][:events]
    batches = [bodies[i : i + batch_size] for i in range(0, len(bodies), batch_size)]
    handler(sqs_event(batches[0]), _Context())  # warm: imports, connection, validators built
    timings = []
    for batch in batches[1:]:
        started = time.perf_counter()
        result = handler(sqs_event(batch), _Context())
        timings.append(time.perf_counter() - started)
        assert not result["batchItemFailures"], result
    replay = []
    for batch in batches[1:]:  # the same events again: every one a duplicate
        started = time.perf_counter()
        handler(sqs_event(batch), _Context())
        replay.append(time.perf_counter() - started)
    applied = sum(len(batch) for batch in batches[1:])
    return {
        "events": applied,
        "batch_size": batch_size,
        "events_per_s": round(applied / sum(timings)),
        "batch_ms_p50": round(statistics.median(timings) * 1000, 1),
        "batch_ms_p95": round(sorted(timings)[int(0.95 * (len(timings) - 1))] * 1000, 1),
        "duplicates_per_s": round(applied / sum(replay)),
    }


def measure_lag(admin_url: str, tenant_id: str, count: int) -> dict[str, Any]:
    """PutEvents of single conversations at ~20/s onto moto's bus; the time until each is readable."""
    from moto.server import ThreadedMotoServer

    from local.ingest_loop import IngestLoop, put_events

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    loop = IngestLoop.start(f"http://{host}:{port}")
    published: dict[str, float] = {}
    lags: list[float] = []
    owner = pg8000.native.Connection(**_params(admin_url))
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set() or len(lags) < len(published):
            pending = [key for key in published if key not in seen]
            if pending:
                rows = owner.run("SELECT id::text FROM conversations WHERE id = ANY(CAST(:ids AS uuid[]))", ids=pending)
                now = time.perf_counter()
                for (key,) in rows:
                    seen.add(key)
                    lags.append(now - published[key])
            time.sleep(0.01)
            if stop.is_set() and time.perf_counter() > deadline:
                break

    seen: set[str] = set()
    deadline = float("inf")
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for event in list(helpdesk_events(tenant_id, count))[3:]:
            if event["type"] != "conversation.v1" or event["version"] != 1:
                continue
            published[event["data"]["id"]] = time.perf_counter()
            put_events(loop.resources, [event])
            time.sleep(0.05)
        deadline = time.perf_counter() + 30
        stop.set()
        watcher.join(35)
    finally:
        loop.stop()
        server.stop()
        owner.close()
    lags.sort()
    return {
        "published": len(published),
        "visible": len(lags),
        "lag_ms_p50": round(statistics.median(lags) * 1000),
        "lag_ms_p95": round(lags[int(0.95 * (len(lags) - 1))] * 1000),
    }


def _params(url: str) -> dict[str, Any]:
    from aurion.db_url import connect_params

    return connect_params(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--lag-events", type=int, default=200, help="conversations published one by one (0: skip)")
    args = parser.parse_args()
    ensure_layer_on_path()
    from aurion.migrate import migrate
    from local.function_loader import import_function
    from local.ingest_loop import template_batching
    from local.stack import _replace_credentials

    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        raise SystemExit("error: set DATABASE_URL to an owner URL of the PostgreSQL server to measure on")
    postgres = embedded_pg.with_database(server_url, "postgres")
    admin_url = embedded_pg.ensure_database(postgres, DATABASE)
    try:
        migrate(admin_url, app_password=APP_PASSWORD)
        tenant_id = str(uuid.uuid4())
        owner = pg8000.native.Connection(**_params(admin_url))
        owner.run(
            "INSERT INTO tenants (id, slug, name, plan, products) VALUES "
            "(CAST(:t AS uuid), 'bench-ingest', 'Bench', 'enterprise', '{voice,helpdesk,knowledge_base}')",
            t=tenant_id,
        )
        owner.close()
        os.environ["AURION_DB_URL"] = _replace_credentials(admin_url, "aurion_app", APP_PASSWORD)
        os.environ.setdefault("AURION_SESSION_SECRET", "bench-ingest-secret-" + "x" * 20)
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        logging.getLogger("aurion-analytics").setLevel(logging.WARNING)  # one line per batch is noise here
        handler = import_function(REPO_ROOT / "functions" / "ingest" / "app.py", "ingest").lambda_handler
        batch_size, window_s = template_batching()
        result: dict[str, Any] = {"rate": measure_rate(handler, tenant_id, args.events, batch_size)}
        if args.lag_events:
            result["lag"] = {"window_s": window_s, **measure_lag(admin_url, tenant_id, args.lag_events)}
        print(json.dumps(result, indent=2))
    finally:
        conn = pg8000.native.Connection(**_params(postgres))
        conn.run(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.close()


if __name__ == "__main__":
    main()
