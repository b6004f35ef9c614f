"""GET /api/v2/analytics/unified-overview response model."""

from __future__ import annotations

from typing import Literal

from aurion.models.base import SpecModel
from aurion.models.conversations import ChannelCount
from aurion.models.voice import VoiceKpis


class CsBlock(SpecModel):
    total_conversations: int
    ai_resolved_count: int
    ai_resolution_rate: float
    human_resolved_count: int
    escalation_rate: float
    first_response_minutes_avg: float | None
    resolution_minutes_median: float | None
    csat_avg: float | None
    channel_distribution: list[ChannelCount]


class CrossProductBlock(SpecModel):
    total_interactions: int
    blended_resolution_rate: float
    voice_share: float
    cs_share: float


class KbBlock(SpecModel):
    total_published: int
    total_views: int
    helpfulness_rate: float
    ai_resolutions: int


class UnifiedOverviewResponse(SpecModel):
    profile: Literal["voice", "platform", "complete"]
    voice: VoiceKpis | None
    cs: CsBlock | None
    cross_product: CrossProductBlock | None
    kb: KbBlock | None
