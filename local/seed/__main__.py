"""python -m local.seed --database-url URL --tenant acme --conversations N --calls N --days D --seed S
[--plan P] [--products a,b] [--time-zone Area/City] [--via loader|bucket|auto|generator]

The tenant's history goes in through the bulk path by default: the generator's rows are written as an import file
(local/seed/import_files.py) which the loader applies (--via loader: in this process; --via bucket: uploaded under
the tenant's import prefix of `make run`'s bucket, applied by its loop; --via auto: the bucket when `make run` is
up, else the loader). --via generator writes the tables directly (the 1,000,000-conversation bench tenants)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from local.seed.generator import TenantExists, connect, count_rows, delete_tenant, seed_tenant
from local.seed.spec import DEFAULT_TIME_ZONE, PLANS, PRODUCTS, TenantSpec, is_time_zone

VIA = ("loader", "bucket", "auto", "generator")


def _end(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # an offset-less time is UTC


def _products(value: str) -> tuple[str, ...]:
    products = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = set(products) - set(PRODUCTS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown product(s) {', '.join(sorted(unknown))}; known: {', '.join(PRODUCTS)}"
        )
    return products


def _time_zone(value: str) -> str:
    if not is_time_zone(value):
        raise argparse.ArgumentTypeError(f"unknown time zone {value!r}: an IANA name such as America/New_York")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.seed", description=__doc__)
    parser.add_argument("--database-url", required=True, help="owner (admin) connection, postgresql://…")
    parser.add_argument("--tenant", required=True, help="tenant slug, e.g. acme")
    parser.add_argument("--name", help="display name (default: the slug, capitalised)")
    parser.add_argument("--conversations", type=int, required=True)
    parser.add_argument("--calls", type=int, default=0, help="needs the voice product")
    parser.add_argument("--days", type=int, default=120, help="length of the window ending at --end")
    parser.add_argument("--seed", type=int, default=1, help="same seed and --end give identical data")
    parser.add_argument("--plan", choices=PLANS, default="professional")
    parser.add_argument("--products", type=_products, default=PRODUCTS, help="comma-separated: " + ",".join(PRODUCTS))
    parser.add_argument(
        "--time-zone",
        type=_time_zone,
        default=DEFAULT_TIME_ZONE,
        help="IANA zone of the tenant's working hours (and its contacts' country); default %(default)s",
    )
    parser.add_argument("--end", type=_end, help="ISO date-time the data ends at (default: now, to the minute)")
    parser.add_argument("--replace", action="store_true", help="delete the tenant with this slug first")
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-step timings")
    parser.add_argument("--via", choices=VIA, default="loader", help="how the rows get in (default %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s", stream=sys.stderr)

    try:
        spec = TenantSpec(
            slug=args.tenant,
            name=args.name,
            conversations=args.conversations,
            calls=args.calls,
            days=args.days,
            seed=args.seed,
            plan=args.plan,
            products=args.products,
            time_zone=args.time_zone,
            replace=args.replace,
            **({"end": args.end} if args.end else {}),
        )
    except ValueError as exc:
        parser.error(str(exc))
    started = time.perf_counter()
    try:
        if args.via == "generator":
            counts = seed_tenant(args.database_url, spec)
        else:
            counts = seed_through_import(args.database_url, spec, args.via)
    except TenantExists as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ImportNotApplied as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"tenant {spec.slug} ({spec.tenant_id}) seeded in {time.perf_counter() - started:.1f} s, "
        f"{spec.start:%Y-%m-%d %H:%M} .. {spec.end:%Y-%m-%d %H:%M} UTC, working hours of {spec.time_zone}"
    )
    for table, count in counts.items():
        print(f"  {table:<22} {count:>10,}")
    print(f"rollups: {update_rollups(args.database_url, str(spec.tenant_id))}")
    return 0


def seed_through_import(admin_url: str, spec: TenantSpec, via: str) -> dict[str, int]:
    """The tenant's generated history through the bulk path; its row count per table once loaded."""
    from local.paths import LOCAL_DIR
    from local.seed.import_files import load_in_process, load_through_bucket, write_import_file

    if spec.replace:
        delete_tenant(admin_url, spec.slug)
    seed = write_import_file(admin_url, spec, LOCAL_DIR / "seed-imports")
    resources = _running_bucket() if via in ("bucket", "auto") else None
    if via == "bucket" and resources is None:
        raise ImportNotApplied("no import bucket running: start `make run` first, or use --via loader")
    if resources is not None:
        print(f"uploading {seed.path.name} to s3://{resources.bucket} (import {seed.import_id})", file=sys.stderr)
        status = load_through_bucket(admin_url, seed, resources)
    else:
        status = load_in_process(admin_url, seed)
    print(
        f"import {seed.import_id}: {status.get('status')}, {status.get('rows_read', 0):,} lines read, "
        f"{status.get('rows_applied', 0):,} applied, {status.get('rows_rejected', 0):,} rejected"
    )
    if status.get("status") != "completed" or status.get("rows_rejected"):
        raise ImportNotApplied(f"the seed's import file was not applied whole: {status}")
    conn = connect(admin_url)
    try:
        return count_rows(conn, spec)
    finally:
        conn.close()


def _running_bucket() -> Any:
    """`make run`'s import bucket when it advertises one and its moto answers, else None."""
    import os

    from local.import_loop import STATE_FILE, read_state

    if not STATE_FILE.exists():
        return None
    resources = read_state()
    if resources.endpoint_url:
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            os.environ.setdefault(name, value)
    from local.ingest_loop import _client

    try:
        _client("s3", resources.endpoint_url, resources.region).head_bucket(Bucket=resources.bucket)
    except Exception:  # a state file left by a stack that is gone
        return None
    return resources


class ImportNotApplied(Exception):
    """The seed's file did not load whole (a reject means the generator and the contract disagree)."""


def update_rollups(database_url: str, tenant_id: str) -> str:
    """The aggregator's run for the new tenant, so its dashboards read rollups at once (as after 5 minutes)."""
    from aurion.rollups.aggregator import aggregator_database, run_tenant

    database = aggregator_database(database_url)
    try:
        result = run_tenant(database, str(tenant_id))
    finally:
        database.close()
    return f"{result.days_rebuilt} days rolled up in {result.run_ms / 1000:.1f} s"


if __name__ == "__main__":
    sys.exit(main())
