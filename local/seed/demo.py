"""The three demo tenants of the local stack, one per unified-overview profile and plan."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from local.seed.generator import connect
from local.seed.import_files import SeedImport, load_through_bucket, seed_import, write_import_file
from local.seed.spec import PRODUCTS, TenantSpec

logger = logging.getLogger("local.seed")

DEMO_SEED = 20260101
DEMO_DAYS = 120


def demo_specs(end: datetime) -> list[TenantSpec]:
    def demo(
        slug: str, name: str, plan: str, conversations: int, calls: int, products: tuple[str, ...], time_zone: str
    ) -> TenantSpec:
        return TenantSpec(
            slug,
            conversations,
            calls,
            days=DEMO_DAYS,
            seed=DEMO_SEED,
            plan=plan,
            products=products,
            time_zone=time_zone,
            end=end,
            name=name,
        )

    # Each in its own part of the world, so that local working hours fall on different UTC hours.
    return [
        # Unified-overview profile "complete": voice and helpdesk.
        demo("acme", "Acme Corporation", "professional", 20_000, 6_000, PRODUCTS, "America/New_York"),
        # Profile "platform": helpdesk and help center, no voice.
        demo("globex", "Globex", "enterprise", 12_000, 0, ("helpdesk", "knowledge_base"), "Europe/Berlin"),
        demo("initech", "Initech", "starter", 1_000, 0, ("helpdesk",), "Asia/Tokyo"),
    ]


def prepare_demo_imports(admin_url: str, *, end: datetime, directory: Path) -> list[SeedImport]:
    """The demo tenants' import files, for the stack to upload at every start: a demo tenant that does not exist
    yet (by slug) is provisioned and its history written as a file; the file of one that exists is handed again.

    Uploaded again, a file the loader finished is recognised by its ETag and loads nothing (so every start goes
    through the bucket, the notification, the queue and the loader at the cost of a status lookup), and one it did
    not finish (the stack was stopped meanwhile) resumes at its checkpoint. Existing tenants are never rewritten.
    """
    files = []
    for spec in demo_specs(end):
        existing = _tenant_id(admin_url, spec.slug)
        if existing is None:
            files.append(write_import_file(admin_url, spec, directory))
            logger.info("demo tenant %s: history written for the bulk path", spec.slug)
            continue
        # The tenant's id, and so its import's, comes from its slug and seed: today's spec finds the earlier file.
        # A tenant of that slug made otherwise (make seed, or before the bulk path) is not fed the demo's file.
        earlier = seed_import(spec, directory)
        if existing == str(spec.tenant_id) and earlier is not None:
            files.append(earlier)
    return files


def load_demo_imports(admin_url: str, pending: list[SeedImport], resources: Any) -> list[str]:
    """Upload each file under its tenant's import prefix of the stack's bucket and wait for the loader to apply
    it (a file loaded before is done at once); returns what each import ended as."""
    done = []
    for seed in pending:
        status = load_through_bucket(admin_url, seed, resources)
        done.append(f"{seed.spec.slug} {status['status']} ({status['rows_applied']:,} rows)")
        if status["status"] != "completed" or status["rows_rejected"]:
            logger.warning("demo tenant %s: import %s ended %s", seed.spec.slug, seed.import_id, status)
    return done


def _tenant_id(admin_url: str, slug: str) -> str | None:
    conn = connect(admin_url)
    try:
        rows = conn.run("SELECT id::text FROM tenants WHERE slug = :slug", slug=slug)
    finally:
        conn.close()
    return str(rows[0][0]) if rows else None
