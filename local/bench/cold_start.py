"""Cold start of every function in template.yaml: the import of its handler module, then its first invocation.

Each function runs in a fresh Python process, as a new Lambda execution environment would: the time to import
functions/<name>/app.py (the layers, Powertools, pydantic, our settings), then the time of the first call of its
handler on its sample event (events/<name>[_<route>].json, the first in name order), which opens the database
connection and does the request's work. The database is a small seeded tenant in a database of its own
(DATABASE_URL's server, else the embedded one of `make bench`: local/bench/server.py), S3 and SQS a moto
server. Target: at most TARGET_MS for import + first invocation. Interpreter start-up is not counted (in Lambda
it is the runtime's).

    python -m local.bench.cold_start            # prints the markdown table
    python -m local.bench.cold_start --runs 7 CallSearchFunction ExportWorkerFunction   # only those

    from local.bench.cold_start import measure_cold_starts, render_markdown
    rows = measure_cold_starts()                # list[ColdStart], one per function
    print(render_markdown(rows))
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

TARGET_MS = 400.0
# Issue 15's targets: the asynchronous consumers nobody waits on get more (boto3 and its S3 client are most of it).
TARGETS_MS: Final = {"ExportWorkerFunction": 600.0, "BulkImportFunction": 600.0, "ExportDeliveryFunction": 600.0}
# Invoked by CloudFormation at deploy time, through a ResponseURL this bench has not: its import is measured.
DEPLOY_TIME_FUNCTIONS: Final = {"MigrationsFunction"}
DATABASE = "aurion_cold_start"
APP_PASSWORD = "aurion-cold-start"
SESSION_SECRET = "cold-start-session-secret-not-used-for-anything-else"
PLACEHOLDER_TENANT = "00000000-0000-0000-0000-000000000000"
RUNS = 5  # fresh processes per function; the table shows the median
SAMPLE_EXPORT_ID = "c0ffee00-1234-5678-9abc-def012345678"  # events/export_worker.json's export
BUCKET = "cold-start-exports"
REGION: Final = "eu-west-1"


@dataclass(frozen=True)
class ColdStart:
    function: str  # template logical id
    event: str | None  # the sample event used (events/…); None: the function has none, not invoked
    import_ms: float
    first_invocation_ms: float | None

    @property
    def total_ms(self) -> float:
        return self.import_ms + (self.first_invocation_ms or 0.0)

    @property
    def target_ms(self) -> float:
        return TARGETS_MS.get(self.function, TARGET_MS)

    @property
    def target_met(self) -> bool:
        return self.first_invocation_ms is not None and self.total_ms <= self.target_ms


# --- the child: one function, one process ----------------------------------------------------------------------


class _Context:
    """The Lambda context attributes our handlers and Powertools read."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:000000000000:function:{name}"
        self.aws_request_id = "cold-start"
        self.function_version = "$LATEST"
        self._deadline = time.monotonic() + 28

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _succeeded(result: Any) -> bool:
    if not isinstance(result, dict):
        return False
    if "statusCode" in result:
        return 200 <= int(result["statusCode"]) < 400
    if "policyDocument" in result:
        return bool(result["policyDocument"]["Statement"][0]["Effect"] == "Allow")
    return not result.get("batchItemFailures")


def _child(module_path: str, name: str, event_path: str | None) -> dict[str, Any]:
    """Runs in the fresh process: import the handler module, then invoke it once. Nothing of ours before."""
    from local.function_loader import import_function  # stdlib only: loads nothing the handler needs

    event = None
    if event_path is not None:
        text = Path(event_path).read_text().replace(PLACEHOLDER_TENANT, os.environ["COLD_START_TENANT"])
        event = json.loads(text.replace("<token>", os.environ["COLD_START_TOKEN"]))
    started = time.perf_counter()
    module = import_function(Path(module_path), name)
    imported = time.perf_counter()
    if event is None:
        return {"import_ms": (imported - started) * 1000, "first_invocation_ms": None}
    result = module.lambda_handler(event, _Context(name))
    invoked = time.perf_counter()
    if not _succeeded(result):
        raise SystemExit(f"{name}: the first invocation failed: {str(result)[:500]}")
    return {"import_ms": (imported - started) * 1000, "first_invocation_ms": (invoked - imported) * 1000}


# --- the parent: the stack, then one child per function -------------------------------------------------------


def _sample_event(events_dir: Path, code_dir_name: str) -> Path | None:
    """events/<function>.json or events/<function>_<route>.json (the first by name), as the tests pair them."""
    candidates = sorted(
        path
        for path in events_dir.glob("*.json")
        if path.name == f"{code_dir_name}.json" or path.name.startswith(f"{code_dir_name}_")
    )
    # events/exports_list.json must not be taken for a function named "export…" and vice versa: exact prefix only.
    return candidates[0] if candidates else None


def _prepare_database(server_url: str) -> tuple[str, str, str]:
    """(owner URL, app URL, tenant id) of a fresh migrated database with a small seeded tenant and one export."""
    import pg8000.native

    from aurion.db import connect_params
    from aurion.migrate import migrate
    from local import embedded_pg
    from local.seed.generator import seed_tenant
    from local.seed.spec import TenantSpec
    from local.stack import _replace_credentials

    postgres = embedded_pg.with_database(server_url, "postgres")
    conn = pg8000.native.Connection(**connect_params(postgres))
    try:
        conn.run(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        conn.close()
    admin_url = embedded_pg.ensure_database(postgres, DATABASE)
    migrate(admin_url, app_password=APP_PASSWORD)
    spec = TenantSpec(slug="cold-start", conversations=2_000, calls=500, days=60, seed=3, plan="enterprise")
    seed_tenant(admin_url, spec)
    tenant_id = str(spec.tenant_id)
    # In production the aggregator has run before (every 5 minutes): a new environment's first run only
    # rebuilds what changed. The one-off full build of a tenant is measured by the aggregator benchmark instead.
    from aurion.rollups.aggregator import aggregator_database, run_tenant

    aggregator = aggregator_database(admin_url)
    try:
        run_tenant(aggregator, tenant_id)
    finally:
        aggregator.close()
    conn = pg8000.native.Connection(**connect_params(admin_url))
    try:
        # The export of events/export_worker.json, queued, so the worker's first invocation writes a real file.
        conn.run(
            "INSERT INTO exports (id, tenant_id, created_by, format, scope, start_date, end_date, tz, "
            "include_call_details, include_transcripts, include_conversations, status, s3_key, created_at, "
            "expires_at) VALUES (CAST(:id AS uuid), CAST(:tenant AS uuid), gen_random_uuid(), 'csv', 'all', "
            "current_date - 7, current_date, 'UTC', true, false, false, 'queued', :key, now(), "
            "now() + interval '1 day')",
            id=SAMPLE_EXPORT_ID,
            tenant=tenant_id,
            key=f"exports/{tenant_id}/{SAMPLE_EXPORT_ID}.csv",
        )
    finally:
        conn.close()
    return admin_url, _replace_credentials(admin_url, "aurion_app", APP_PASSWORD), tenant_id


def _requeue_sample_export(admin_url: str) -> None:
    """The worker's sample export back to queued, so every sample of the worker writes the file again."""
    import pg8000.native

    from aurion.db import connect_params

    conn = pg8000.native.Connection(**connect_params(admin_url))
    try:
        conn.run(
            "UPDATE exports SET status = 'queued', started_at = NULL, finished_at = NULL, row_count = NULL, "
            "size_bytes = NULL, error = NULL WHERE id = CAST(:id AS uuid)",
            id=SAMPLE_EXPORT_ID,
        )
    finally:
        conn.close()


def _put_sample_import(s3: Any, tenant_id: str) -> None:
    """The file events/bulk_import.json's notification names, for the tenant: one team, gzip'd NDJSON."""
    import gzip
    import uuid

    from local.paths import REPO_ROOT

    notification = json.loads(json.loads((REPO_ROOT / "events" / "bulk_import.json").read_text())["Records"][0]["body"])
    target = notification["Records"][0]["s3"]
    bucket, key = target["bucket"]["name"], target["object"]["key"].replace(PLACEHOLDER_TENANT, tenant_id)
    team = {
        "type": "team.v1", "tenant_id": tenant_id, "event_id": str(uuid.uuid4()), "occurred_at": "2026-03-02T09:00:00Z",
        "version": 1, "data": {"id": str(uuid.uuid4()), "name": "Cold start", "created_at": "2026-03-02T09:00:00Z"},
    }  # fmt: skip
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress((json.dumps(team) + "\n").encode()))


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    from local.bench.exports import _free_port, _wait_for
    from local.paths import REPO_ROOT

    port = _free_port()
    process = subprocess.Popen(
        [str(REPO_ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(port)
    return process, f"http://127.0.0.1:{port}"


def measure_cold_starts(
    server_url: str | None = None, runs: int = RUNS, only: frozenset[str] | None = None
) -> list[ColdStart]:
    """One ColdStart per function of template.yaml: the median of `runs` fresh processes (a few seconds each).

    server_url: a PostgreSQL superuser URL whose server gets the database aurion_cold_start (dropped and made
    anew); default DATABASE_URL, else the embedded server of `make bench` (stopped after if started for this).
    only: the template logical ids to measure (default every function), to compare one change quickly.
    """
    if server_url is None:
        from local.bench.server import bench_server

        with bench_server() as url:
            return measure_cold_starts(url, runs, only)
    from local.paths import REPO_ROOT, SHARED_LAYER, TEMPLATE, ensure_layer_on_path

    ensure_layer_on_path()
    import boto3

    from aurion.auth.tokens import issue_token
    from local.sam_model import load_api_model

    admin_url, app_url, tenant_id = _prepare_database(server_url)
    token = issue_token(SESSION_SECRET, user_id="cold-start", tenant_id=tenant_id, role="tenant_admin",
                        ttl_seconds=3600)  # fmt: skip
    moto, endpoint = _start_moto()
    try:
        aws = {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "cold-start",
               "AWS_SECRET_ACCESS_KEY": "cold-start"}  # fmt: skip
        session = boto3.session.Session(
            aws_access_key_id="cold-start", aws_secret_access_key="cold-start", region_name=REGION
        )
        session.client("s3", endpoint_url=endpoint).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        queue = session.client("sqs", endpoint_url=endpoint).create_queue(QueueName=BUCKET)
        # The rollup dispatcher's queue (what it finds due is queued there; the worker's sample is its own job).
        rollups = session.client("sqs", endpoint_url=endpoint).create_queue(QueueName=f"{BUCKET}-rollups")
        _put_sample_import(session.client("s3", endpoint_url=endpoint), tenant_id)
        base = {
            **{key: value for key, value in os.environ.items() if key not in ("DB_SECRET_ARN", "SESSION_SECRET_ARN")},
            **aws,
            "AURION_DB_URL": app_url,
            "AURION_SESSION_SECRET": SESSION_SECRET,
            "EXPORTS_BUCKET": BUCKET,
            "EXPORTS_QUEUE_URL": queue["QueueUrl"],
            "AGGREGATOR_QUEUE_URL": rollups["QueueUrl"],
            "COLD_START_TENANT": tenant_id,
            "COLD_START_TOKEN": token,
            "PYTHONPATH": os.pathsep.join([str(SHARED_LAYER), str(REPO_ROOT)]),
        }
        base.pop("REDIS_URL", None)  # in-memory rate limits, as configured by an empty RedisUrl parameter
        model = load_api_model(TEMPLATE, REPO_ROOT)
        rows = []
        for logical_id, spec in sorted(model.functions.items()):
            if only is not None and logical_id not in only:
                continue
            event = (
                None if logical_id in DEPLOY_TIME_FUNCTIONS else _sample_event(REPO_ROOT / "events", spec.code_dir.name)
            )
            # The template's literal variables (POWERTOOLS_*, …) unless set here, as the local runtime does.
            env = {**spec.environment, **base, "POWERTOOLS_LOG_LEVEL": "WARNING"}
            samples = []
            for _ in range(runs):
                _requeue_sample_export(admin_url)
                result = subprocess.run(
                    [sys.executable, "-m", "local.bench.cold_start", "--child", str(spec.module_path), logical_id,
                     str(event) if event else ""],
                    cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                if result.returncode != 0:
                    raise RuntimeError(f"{logical_id}: {result.stderr.strip()[-2000:]}")
                measured = json.loads(result.stdout.strip().splitlines()[-1])
                samples.append(
                    ColdStart(
                        function=logical_id,
                        event=str(event.relative_to(REPO_ROOT)) if event else None,
                        import_ms=round(measured["import_ms"], 1),
                        first_invocation_ms=(
                            round(measured["first_invocation_ms"], 1)
                            if measured["first_invocation_ms"] is not None
                            else None
                        ),
                    )
                )
            # This VM's speed varies by up to 1.5x from one process to the next: the median cold start, not one.
            rows.append(sorted(samples, key=lambda sample: sample.total_ms)[len(samples) // 2])
        return rows
    finally:
        moto.terminate()
        moto.wait()


def render_markdown(rows: list[ColdStart]) -> str:
    """The rows as a markdown table (function, import, first invocation, total, target met)."""
    lines = [
        "| function | import ms | first invocation ms | total ms | target ms | met |",
        "| --- | ---: | ---: | ---: | ---: | :---: |",
    ]
    for row in rows:
        if row.function in DEPLOY_TIME_FUNCTIONS:
            invocation, met = "deploy time (import only)", "n/a"
        else:
            invocation = f"{row.first_invocation_ms:.1f}" if row.first_invocation_ms is not None else "no sample event"
            met = "yes" if row.target_met else "**no**"
        numbers = f"{row.import_ms:.1f} | {invocation} | {row.total_ms:.1f} | {row.target_ms:.0f}"
        lines.append(f"| {row.function} | {numbers} | {met} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _, _, module_path, name, event_path = sys.argv
        print(json.dumps(_child(module_path, name, event_path or None)))
        return
    # python -m local.bench.cold_start [--runs N] [LogicalId …]: only those functions, N processes each.
    arguments = sys.argv[1:]
    runs = RUNS
    if arguments[:1] == ["--runs"]:
        runs, arguments = int(arguments[1]), arguments[2:]
    rows = measure_cold_starts(runs=runs, only=frozenset(arguments) if arguments else None)
    print(render_markdown(rows), end="")
    missed = [row.function for row in rows if not row.target_met]
    if missed:
        print(f"\nover {TARGET_MS:.0f} ms (or not invoked): {', '.join(missed)}", file=sys.stderr)


if __name__ == "__main__":
    main()
