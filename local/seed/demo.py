"""The three demo tenants of the local stack, one per unified-overview profile and plan."""

from __future__ import annotations

import logging
from datetime import datetime

from local.seed.generator import connect, generate
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


def ensure_demo_tenants(admin_url: str, *, end: datetime) -> list[str]:
    """Create the demo tenants that do not exist yet (by slug); returns the slugs it created.

    Existing tenants are left as they are, whatever their data, so restarting the stack is cheap. Safe to
    call concurrently: each tenant is created under an advisory lock, in its own transaction.
    """
    created = []
    conn = connect(admin_url)
    try:
        for spec in demo_specs(end):
            if generate(conn, spec, only_if_absent=True):
                created.append(spec.slug)
                logger.info("created demo tenant %s", spec.slug)
    finally:
        conn.close()
    return created
