"""Export worker benchmark: the benchmark tenant's 1,000,000 conversations as one file; rows/s and peak memory.

Run in a fresh process per format (`python -m local.bench.exports --format csv …`) so its peak RSS is the
worker's own; S3 is a moto server in another process. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import time
import uuid
from datetime import UTC, date, datetime, timedelta

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


def run_export_benchmark(fmt: str, app_url: str, tenant_id: str, end: date, days: int) -> dict[str, object]:
    port = _free_port()
    moto = subprocess.Popen(
        [str(REPO_ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        started = time.perf_counter()
        run_export(ExportMessage(export_id=str(export_id), tenant_id=tenant_id), Deadline.unlimited())
        seconds = time.perf_counter() - started
        with get_database().transaction(tenant_id) as tx:
            row = tx.one("SELECT row_count, size_bytes FROM exports WHERE id = CAST(:i AS uuid)", i=str(export_id))
        assert row is not None
        return {
            "format": fmt,
            "rows": row["row_count"],
            "bytes": row["size_bytes"],
            "seconds": round(seconds, 1),
            "rows_per_s": round(row["row_count"] / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_before_export_mb": round(before_mb),
        }
    finally:
        moto.terminate()
        moto.wait()


def main() -> None:
    ensure_layer_on_path()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--format", required=True, choices=["csv", "xlsx", "json"])
    parser.add_argument("--app-url", required=True)
    parser.add_argument("--tenant-id", required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True)
    parser.add_argument("--days", type=int, default=366)
    args = parser.parse_args()
    print(json.dumps(run_export_benchmark(args.format, args.app_url, args.tenant_id, args.end, args.days)))


if __name__ == "__main__":
    main()
