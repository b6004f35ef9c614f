"""`make bench`: the benchmark tenants in their own database, every endpoint timed warm, docs/benchmarks.md.

The tenants are generated once per (size, seed, end) and kept; later runs only measure. Ranges end at the
tenant's fixed `end`, so numbers are comparable between runs. The server is DATABASE_URL's, else the embedded
one of `make run`, stopped at the end if the bench started it (local/bench/server.py).

`--scale 10m` (`make bench SCALE=10m`) times the endpoints and the aggregator's first rebuild on a tenant of
10,000,000 conversations, beside the 1,000,000 one in the same run, into its own section of the output file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pg8000.native

from local import embedded_pg
from local.bench.bulk_import import measure_into_tenant
from local.bench.cold_start import measure_cold_starts, render_markdown
from local.bench.endpoints import CONVERSATION_ENDPOINTS, VOICE_ENDPOINTS, Endpoint
from local.bench.pipeline import measure_pipeline
from local.bench.report import Row, write_report, write_scale_report
from local.bench.server import bench_server
from local.bench.timing import EndpointCall, SqlClock, time_interleaved
from local.function_loader import import_function
from local.paths import REPO_ROOT, ensure_layer_on_path

BENCH_DATABASE = "aurion_bench"
APP_PASSWORD = "aurion-bench"
SESSION_SECRET = "bench-session-secret-not-used-for-anything-else"
END = datetime(2026, 11, 1, tzinfo=UTC)
RANGES = {"7 days": 7, "37 days": 37, "365 days": 365}


@dataclass(frozen=True)
class Scale:
    slug: str  # each scale's tenant under its own slug, so switching scales regenerates nothing
    conversations: int
    calls: int


SCALES = {"1m": Scale("bench", 1_000_000, 300_000), "10m": Scale("bench-10m", 10_000_000, 3_000_000)}
SCALE_BASELINE = Scale("bench-10m-base", 1_000_000, 300_000)


def prepare_database(server_url: str) -> tuple[str, str]:
    """(owner URL, app-role URL) of the migrated benchmark database on server_url's server."""
    from aurion.migrate import migrate

    admin_url = embedded_pg.ensure_database(embedded_pg.with_database(server_url, "postgres"), BENCH_DATABASE)
    migrate(admin_url, app_password=APP_PASSWORD)
    from local.stack import _replace_credentials

    return admin_url, _replace_credentials(admin_url, "aurion_app", APP_PASSWORD)


def ensure_tenant(admin_url: str, slug: str, conversations: int, calls: int) -> str:
    from local.seed.generator import seed_tenant
    from local.seed.spec import TenantSpec

    spec = TenantSpec(
        slug=slug, conversations=conversations, calls=calls, days=365, seed=42, plan="enterprise", end=END, replace=True
    )
    found = tenant_sizes(admin_url, slug)
    if found and found[1:] == (conversations, calls):
        return found[0]
    print(f"generating {slug}: {conversations:,} conversations, {calls:,} calls over 365 days …", flush=True)
    started = time.perf_counter()
    seed_tenant(admin_url, spec)
    print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    return ensure_tenant(admin_url, slug, conversations, calls)


def tenant_sizes(admin_url: str, slug: str) -> tuple[str, int, int] | None:
    """(id, conversations, calls) of the tenant `slug`, None when there is none."""
    from aurion.db import connect_params

    conn = pg8000.native.Connection(**connect_params(admin_url))
    try:
        rows = conn.run(
            "SELECT t.id::text, (SELECT count(*) FROM conversations c WHERE c.tenant_id = t.id), "
            "(SELECT count(*) FROM calls k WHERE k.tenant_id = t.id) FROM tenants t WHERE t.slug = :slug",
            slug=slug,
        )
    finally:
        conn.close()
    return (str(rows[0][0]), int(rows[0][1]), int(rows[0][2])) if rows else None


def count_in_range(admin_url: str, tenant_id: str, days: int) -> int:
    from aurion.db import connect_params

    conn = pg8000.native.Connection(**connect_params(admin_url))
    try:
        return int(
            conn.run(
                "SELECT count(*) FROM conversations "
                "WHERE tenant_id = CAST(:t AS uuid) AND created_at >= :s AND created_at < :e",
                t=tenant_id,
                s=END - timedelta(days=days),
                e=END,
            )[0][0]
        )
    finally:
        conn.close()


def run_export_in_subprocess(fmt: str, app_url: str, tenant_id: str) -> dict[str, object]:
    """A fresh process per format, so the peak memory measured is that export's alone."""
    print(f"exporting {fmt} …", flush=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local.bench.exports",
            "--format",
            fmt,
            "--app-url",
            app_url,
            "--tenant-id",
            tenant_id,
            "--end",
            (END - timedelta(days=1)).date().isoformat(),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"  {measured}", flush=True)
    return measured


class EndpointTimer:
    """Every endpoint's function imported once, in this process, against app_url."""

    def __init__(self, app_url: str) -> None:
        os.environ.update({"AURION_DB_URL": app_url, "AURION_SESSION_SECRET": SESSION_SECRET})
        self.clock = SqlClock()
        self.clock.install()
        self.endpoints: list[Endpoint] = [*CONVERSATION_ENDPOINTS]
        self.endpoints += [e for e in VOICE_ENDPOINTS if (REPO_ROOT / "functions" / e.function / "app.py").exists()]
        self.modules = {
            name: import_function(REPO_ROOT / "functions" / name / "app.py", name)
            for name in {e.function for e in self.endpoints}
        }


def time_endpoints(timer: EndpointTimer, admin_url: str, tenant_id: str, runs: int) -> list[Row]:
    """Every endpoint at every range of RANGES, as the tenant's admin."""
    return time_tenants(timer, admin_url, [tenant_id], runs)[0]


def time_tenants(timer: EndpointTimer, admin_url: str, tenant_ids: list[str], runs: int) -> list[list[Row]]:
    """The rows of each tenant; each endpoint and range is timed for the tenants in turn, call by call, so tenants
    being compared see the same load from whatever else runs on the machine."""
    from aurion.ratelimit import reset_limiters

    rows: list[list[Row]] = [[] for _ in tenant_ids]
    for label, days in RANGES.items():
        in_range = [count_in_range(admin_url, tenant_id, days) for tenant_id in tenant_ids]
        for endpoint in timer.endpoints:
            query = endpoint.query(END - timedelta(days=days), END)
            targets = [
                EndpointCall(
                    timer.modules[endpoint.function],
                    endpoint.path,
                    query,
                    {"tenant_id": tenant_id, "user_id": "bench", "role": "tenant_admin"},
                    before_each=reset_limiters if endpoint.rate_limited else lambda: None,
                    user_per_call=endpoint.rate_limited,
                )
                for tenant_id in tenant_ids
            ]
            timings = time_interleaved(targets, timer.clock, calls=runs)
            for i, timing in enumerate(timings):
                if timing.status != 200:
                    sys.exit(f"{endpoint.path} answered {timing.status}")
                rows[i].append(Row(endpoint=endpoint.path, range_label=label, conversations=in_range[i], timing=timing))
                tenant = f"  ({in_range[i]:,} in range)" if len(tenant_ids) > 1 else ""
                print(
                    f"{label:>9} {endpoint.path:<52} p50 {timing.p50_ms:7.1f} ms  p95 {timing.p95_ms:7.1f} ms  "
                    f"sql {timing.sql_p50_ms:7.1f} ms{tenant}",
                    flush=True,
                )
    return rows


def run_scale_benchmark(args: argparse.Namespace, server_url: str, scale: Scale) -> None:
    """The large tenant's endpoints beside the 1,000,000 one's, timed in the same run (same machine, same load)."""
    admin_url, app_url = prepare_database(server_url)
    # A 1,000,000 tenant of its own, generated like the default one: other benchmarks load rows into `bench` and
    # delete them again, which would move the baseline's numbers (and its rollups) in the middle of a run.
    base = SCALE_BASELINE
    base_id = ensure_tenant(admin_url, base.slug, base.conversations, base.calls)
    tenant_id = ensure_tenant(admin_url, scale.slug, args.conversations, args.calls)
    # The large tenant's first rebuild is what is measured; the 1m tenant's is only made current.
    pipeline = measure_pipeline(admin_url, app_url, tenant_id)
    print(f"aggregator: full rebuild {pipeline.full_rebuild_s} s ({pipeline.full_rebuild_days} days)", flush=True)
    rebuild_rollups(admin_url, app_url, base_id)
    base_rows, rows = time_tenants(EndpointTimer(app_url), admin_url, [base_id, tenant_id], args.runs)
    write_scale_report(
        args.output,
        base_rows,
        rows,
        scale=args.scale,
        conversations=args.conversations,
        calls=args.calls,
        runs=args.runs,
        pipeline=pipeline,
        command=" ".join(["python -m local.bench", *sys.argv[1:]]),
    )
    print(f"wrote the {args.scale} section of {args.output}")


def run_tenants(args: argparse.Namespace, server_url: str) -> None:
    from local.bench.report import write_tenants_report
    from local.bench.tenants import run_tenants_benchmark

    result = run_tenants_benchmark(server_url, args.tenants, ensure_tenant, APP_PASSWORD)
    write_tenants_report(args.output, result, command=" ".join(["python -m local.bench", *sys.argv[1:]]))
    print(f"wrote the {args.tenants:,}-tenant section of {args.output}")


def rebuild_rollups(admin_url: str, app_url: str, tenant_id: str) -> None:
    """A full rebuild: other benchmarks load rows into this tenant and delete them again, and a run of theirs
    interrupted half-way leaves rollups counting rows that are gone."""
    from aurion.db import connect_params
    from aurion.rollups.aggregator import aggregator_database, run_tenant

    owner = pg8000.native.Connection(**connect_params(admin_url))
    try:
        owner.run("DELETE FROM rollup_state WHERE tenant_id = CAST(:t AS uuid)", t=tenant_id)
    finally:
        owner.close()
    database = aggregator_database(app_url)
    try:
        run_tenant(database, tenant_id)
    finally:
        database.close()
    # As measure_pipeline leaves the large tenant: its rollups known to the planner before they are timed.
    owner = pg8000.native.Connection(**connect_params(admin_url))
    try:
        owner.run("VACUUM (ANALYZE)")
    finally:
        owner.close()


def main() -> None:
    # Before anything imports aurion.logs: one INFO line per timed call would swamp the results.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    ensure_layer_on_path()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scale",
        choices=SCALES,
        default="1m",
        help="1m: the full benchmark on the 1,000,000-conversation tenant; 10m: the endpoints and the aggregator "
        "on a 10,000,000-conversation tenant beside the 1m one, into its own section of the output",
    )
    parser.add_argument(
        "--tenants",
        type=int,
        help="the aggregator's fan-out over this many tenants (make bench TENANTS=10000), into its own section of "
        "the output (local/bench/tenants.py); nothing else is run",
    )
    parser.add_argument("--conversations", type=int, help="override the scale's tenant size")
    parser.add_argument("--calls", type=int, help="override the scale's number of calls")
    parser.add_argument("--runs", type=int, default=20, help="timed calls per endpoint and range (after 2 warm-up)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--export-formats", default="csv,json,xlsx", help="export benchmarks to run ('' for none)")
    parser.add_argument(
        "--bulk-conversations",
        type=int,
        default=100_000,
        help="conversations of the history file loaded into the 1m tenant by the bulk import benchmark (0: none)",
    )
    args = parser.parse_args()
    scale = SCALES[args.scale]
    args.conversations = args.conversations or scale.conversations
    args.calls = args.calls if args.calls is not None else scale.calls
    with bench_server() as server_url:
        if args.tenants:
            run_tenants(args, server_url)
        elif args.scale == "1m":
            run_benchmark(args, server_url)
        else:
            run_scale_benchmark(args, server_url, scale)


def run_benchmark(args: argparse.Namespace, server_url: str) -> None:
    admin_url, app_url = prepare_database(server_url)
    tenant_id = ensure_tenant(admin_url, SCALES["1m"].slug, args.conversations, args.calls)
    # Also leaves the rollups up to date, as the aggregator keeps them in production.
    pipeline = measure_pipeline(admin_url, app_url, tenant_id)
    print(
        f"aggregator: full rebuild {pipeline.full_rebuild_s} s ({pipeline.full_rebuild_days} days), "
        f"after an hour of traffic {pipeline.hour_run_s} s ({pipeline.hour_run_days} days)",
        flush=True,
    )
    rows = time_endpoints(EndpointTimer(app_url), admin_url, tenant_id, args.runs)
    exports = [
        run_export_in_subprocess(fmt, app_url, tenant_id) for fmt in filter(None, args.export_formats.split(","))
    ]
    cold_starts = measure_cold_starts(server_url)
    print(render_markdown(cold_starts), flush=True)
    # Last: the file's rows are new rows of the tenant while it loads (deleted again afterwards).
    bulk = None
    if args.bulk_conversations:
        bulk = measure_into_tenant(admin_url, app_url, tenant_id, args.bulk_conversations)
    print(f"bulk import: {bulk}", flush=True)
    write_report(
        args.output,
        rows,
        conversations=args.conversations,
        calls=args.calls,
        runs=args.runs,
        admin_url=admin_url,
        exports=exports,
        pipeline=pipeline,
        cold_starts=render_markdown(cold_starts),
        bulk=bulk,
        command=" ".join(["python -m local.bench", *sys.argv[1:]]),
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
