"""GET /api/v2/analytics/unified-overview: voice, helpdesk and knowledge base side by side.

profile: `complete` with voice and helpdesk, `voice` with voice but no helpdesk, `platform` otherwise.
Each block is null when its product is off; cross_product needs both voice and helpdesk.
"""

from __future__ import annotations

from typing import Any

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.metrics.common import num, pct
from aurion.metrics.overview import overview_model, overview_row
from aurion.metrics.voice_kpis import call_kpis, voice_kpis_model
from aurion.models.unified import CrossProductBlock, CsBlock, KbBlock, UnifiedOverviewResponse
from aurion.params import DateRange
from aurion.rollups.csat import csat_totals
from aurion.rollups.help_center import help_center_stats


def profile_of(products: frozenset[str]) -> str:
    if "voice" in products:
        return "complete" if "helpdesk" in products else "voice"
    return "platform"


def _cross(kpis: dict[str, Any], overview: dict[str, Any]) -> CrossProductBlock:
    calls, conversations = kpis["total_calls"], overview["total_conversations"]
    resolved = kpis["resolved_calls"] + overview["ai_resolved_count"] + overview["human_resolved_count"]
    total = calls + conversations
    return CrossProductBlock(
        total_interactions=total,
        blended_resolution_rate=pct(resolved, total),
        voice_share=pct(calls, total),
        cs_share=pct(conversations, total),
    )


def _kb(stats: dict[str, Any]) -> KbBlock:
    return KbBlock(
        total_published=stats["published_articles"],
        total_views=stats["total_views"],
        helpfulness_rate=pct(stats["helpful"], stats["helpful"] + stats["not_helpful"]),
        ai_resolutions=stats["ai_resolutions"],
    )


def unified_overview(caller: Caller, window: DateRange) -> UnifiedOverviewResponse:
    with tenant_scope(caller) as scope:
        tx, tenant_id, products = scope.tx, scope.tenant.id, scope.tenant.products
        kpis = call_kpis(tx, tenant_id, window.start, window.end) if "voice" in products else None
        overview = overview_row(tx, tenant_id, window) if "helpdesk" in products else None
        csat_avg = csat_totals(tx, tenant_id, window)["avg_rating"] if overview else None
        kb = _kb(help_center_stats(tx, tenant_id, window)) if "knowledge_base" in products else None
    cs = None
    if overview is not None:
        cs = CsBlock(**overview_model(overview).model_dump(), csat_avg=num(csat_avg))
    return UnifiedOverviewResponse(
        profile=profile_of(products),  # type: ignore[arg-type]
        voice=voice_kpis_model(kpis) if kpis else None,
        cs=cs,
        cross_product=_cross(kpis, overview) if kpis and overview else None,
        kb=kb,
    )
