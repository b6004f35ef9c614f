"""Export worker benchmark: the benchmark tenant's 1,000,000 conversations as one file; rows/s and peak memory.

Run in a fresh process per format (`python -m local.bench.exports --format csv …`) so its peak RSS is the
worker's own; S3 is a moto server in another process. Beside it, in the same process, a bare `COPY (the same
query) TO STDOUT` read by the same driver and thrown away, before and after the export: what the database and the
wire cost alone, so the ratio is what the worker adds (redaction in Python, the writer, the upload). Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from local.paths import REPO_ROOT, ensure_layer_on_path

BUCKET = "bench-exports"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto server did not start")


class _Discard:
    """A COPY sink that keeps nothing (pg8000 still reads and frames every row, as for the export)."""

    def __init__(self) -> None:
        self.rows = 0

    def write_rows(self, rows: list[bytes]) -> None:
        self.rows += len(rows)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_copy(export_id: str, tenant_id: str, fmt: str) -> tuple[int, float]:
    """(rows, seconds) of COPY (the export's own query) TO STDOUT, output discarded."""
    from aurion.db import get_database
    from aurion.exports.datasets.records import CONVERSATIONS_QUERY
    from aurion.exports.streaming import COPY_FORMATS, copy_settings, inline_params
    from aurion.exports.worker import CLAIM_SQL, _job

    sql = {"csv": CONVERSATIONS_QUERY.csv_sql(), "json": CONVERSATIONS_QUERY.json_sql()}.get(fmt)
    sql = sql or CONVERSATIONS_QUERY.sql()  # xlsx reads the typed rows
    with get_database().transaction(tenant_id) as tx:
        row = tx.one(CLAIM_SQL, export_id=export_id, tenant_id=tenant_id)
        assert row is not None
        job = _job(row)
        sink = _Discard()
        # In the export's own COPY format (the typed rows xlsx reads through a cursor: as CSV).
        copy_format = COPY_FORMATS.get(fmt, "csv")
        statement = f"COPY ({inline_params(sql, job.params())}) TO STDOUT WITH (FORMAT {copy_format})"
        with copy_settings(tx, None, job.tz):  # the export's own session settings for its COPY
            started = time.perf_counter()
            tx.copy_out(statement, sink, timeout_s=None)
            return sink.rows, time.perf_counter() - started


def run_export_benchmark(fmt: str, app_url: str, tenant_id: str, end: date, days: int) -> dict[str, object]:
    port = _free_port()
    moto = subprocess.Popen(
        [str(REPO_ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # moto keeps an object's bytes in a spooled temporary file that goes to disk past 5 MiB: every part, and
        # then the assembled object, was written out and read back, a third of the stand-in S3's CPU on the
        # machine the export shares (S3 itself is other machines). In memory, as the bench has room for.
        env={**os.environ, "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(1 << 30)},
    )
    try:
        _wait_for(port)
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update(
            {
                "AURION_DB_URL": app_url,
                "AURION_SESSION_SECRET": "bench-session-secret-not-used-for-anything-else",
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "EXPORTS_BUCKET": BUCKET,
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "DB_STATEMENT_TIMEOUT_MS": "25000",
            }
        )
        import boto3

        from aurion.db import get_database
        from aurion.exports.datasets import Deadline
        from aurion.exports.requests import NewExport, insert_export
        from aurion.exports.worker import ExportMessage, run_export

        boto3.client("s3", endpoint_url=endpoint).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with get_database().transaction(tenant_id) as tx:
            export_id = insert_export(
                tx,
                NewExport(
                    tenant_id=tenant_id,
                    created_by=str(uuid.uuid4()),
                    format=fmt,
                    scope="conversations",
                    start_date=end - timedelta(days=days),
                    end_date=end,
                    tz="UTC",
                    include_call_details=True,
                    include_transcripts=False,
                    include_conversations=False,
                    created_at=datetime.now(UTC).replace(microsecond=0),
                ),
            )
        # The bare COPY before and after the export, its mean the ratio's base: on a shared machine one run of
        # either can land in a busier moment than the other.
        copy_before = bare_copy(str(export_id), tenant_id, fmt)[1]
        moto_cpu_before = _cpu_seconds(moto.pid)
        started, cpu_started = time.perf_counter(), time.process_time()
        run_export(ExportMessage(export_id=str(export_id), tenant_id=tenant_id), Deadline.unlimited())
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        moto_cpu = _cpu_seconds(moto.pid) - moto_cpu_before
        with get_database().transaction(tenant_id) as tx:
            row = tx.one("SELECT row_count, size_bytes FROM exports WHERE id = CAST(:i AS uuid)", i=str(export_id))
        assert row is not None
        copy_rows, copy_after = bare_copy(str(export_id), tenant_id, fmt)
        assert copy_rows == row["row_count"]
        copy_seconds = (copy_before + copy_after) / 2
        return {
            "format": fmt,
            "rows": row["row_count"],
            "bytes": row["size_bytes"],
            "seconds": round(seconds, 1),
            "rows_per_s": round(row["row_count"] / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_before_export_mb": round(before_mb),
            "bare_copy_seconds": round(copy_seconds, 1),
            "bare_copy_before_after_seconds": [round(copy_before, 1), round(copy_after, 1)],
            "bare_copy_rows_per_s": round(copy_rows / copy_seconds),
            "ratio_to_bare_copy": round(seconds / copy_seconds, 2),
            # Where a 2-core machine's time goes besides the database: the worker's own CPU (its threads) and
            # the moto server's, which S3 would spend on other machines.
            "worker_cpu_seconds": round(cpu, 1),
            "s3_server_cpu_seconds": round(moto_cpu, 1),
        }
    finally:
        moto.terminate()
        moto.wait()


def _defaults(args: argparse.Namespace) -> None:
    """The benchmark tenant of `make bench` (database aurion_bench, slug bench) on DATABASE_URL's server."""
    if None not in (args.app_url, args.tenant_id, args.end):
        return  # a child process: imports nothing more than the export needs (its RSS is measured)
    from local.bench.__main__ import APP_PASSWORD, BENCH_DATABASE, END

    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    if args.app_url is None:
        from local import embedded_pg
        from local.stack import _replace_credentials

        args.app_url = _replace_credentials(
            embedded_pg.with_database(server, BENCH_DATABASE), "aurion_app", APP_PASSWORD
        )
    if args.tenant_id is None:
        import pg8000.native

        from aurion.db import connect_params
        from local import embedded_pg

        conn = pg8000.native.Connection(**connect_params(embedded_pg.with_database(server, BENCH_DATABASE)))
        try:
            args.tenant_id = str(conn.run("SELECT id::text FROM tenants WHERE slug = 'bench'")[0][0])
        finally:
            conn.close()
    if args.end is None:
        args.end = (END - timedelta(days=1)).date()


def main() -> None:
    """One format in this process; several (`--format csv,json,xlsx`: only the exports of `make bench`, against
    its tenant by default) each in a fresh process, so each peak RSS is that export's alone."""
    ensure_layer_on_path()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--format", required=True, help="csv, xlsx, json, or several separated by commas")
    parser.add_argument("--app-url", help="default: the aurion_bench database of DATABASE_URL's server, app role")
    parser.add_argument("--tenant-id", help="default: the bench tenant")
    parser.add_argument("--end", type=date.fromisoformat, help="default: the day before the bench's END")
    parser.add_argument("--days", type=int, default=366)
    args = parser.parse_args()
    formats = args.format.split(",")
    if any(fmt not in ("csv", "xlsx", "json") for fmt in formats):
        parser.error("formats are csv, xlsx and json")
    _defaults(args)
    if len(formats) == 1:
        print(json.dumps(run_export_benchmark(formats[0], args.app_url, args.tenant_id, args.end, args.days)))
        return
    for fmt in formats:
        command = [sys.executable, "-m", "local.bench.exports", "--format", fmt, "--app-url", args.app_url,
                   "--tenant-id", args.tenant_id, "--end", args.end.isoformat(), "--days", str(args.days)]  # fmt: skip
        subprocess.run(command, cwd=REPO_ROOT, check=True)


if __name__ == "__main__":
    main()
