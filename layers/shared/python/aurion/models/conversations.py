"""GET /api/v2/analytics/* response models, field for field as in the spec."""

from __future__ import annotations

from aurion.models.base import SpecModel


class TeamOption(SpecModel):
    team_id: str
    team_name: str


class TeamsResponse(SpecModel):
    teams: list[TeamOption]


class ChannelCount(SpecModel):
    channel: str
    conversation_count: int


class OverviewResponse(SpecModel):
    total_conversations: int
    ai_resolved_count: int
    ai_resolution_rate: float
    human_resolved_count: int
    escalation_rate: float
    first_response_minutes_avg: float | None
    resolution_minutes_median: float | None
    channel_distribution: list[ChannelCount]


class SlaBucket(SpecModel):
    tracked: int
    met: int
    breached: int
    compliance_rate: float


class PrioritySlaBucket(SpecModel):
    priority: str
    tracked: int
    met: int
    breached: int
    compliance_rate: float


class TeamSlaBucket(SpecModel):
    team_id: str
    team_name: str
    tracked: int
    met: int
    breached: int
    compliance_rate: float


class SlaComplianceResponse(SpecModel):
    first_response: SlaBucket
    resolution: SlaBucket
    by_priority: list[PrioritySlaBucket]
    by_team: list[TeamSlaBucket]


class RatingCount(SpecModel):
    rating: int
    response_count: int


class CsatDay(SpecModel):
    day: str
    count: int
    avg_rating: float | None


class CsatAgent(SpecModel):
    assignee_user_id: str
    assignee_name: str
    response_count: int
    avg_rating: float | None
    positive_rate: float


class CsatResponse(SpecModel):
    total_responses: int
    rated_responses: int
    avg_rating: float | None
    positive_responses: int
    positive_rate: float
    distribution: list[RatingCount]
    trend: list[CsatDay]
    per_agent: list[CsatAgent]


class CsatResponseItem(SpecModel):
    id: str
    conversation_id: str
    contact_id: str | None
    rating: int | None
    comment: str | None
    followup_answer: str | None
    channel: str
    sent_at: str
    responded_at: str | None
    conversation_subject: str | None
    assignee_user_id: str | None
    assignee_name: str | None
    assignee_team_id: str | None
    assignee_team_name: str | None


class CsatResponsesPage(SpecModel):
    items: list[CsatResponseItem]
    total: int
    limit: int
    offset: int


class PriorityResolution(SpecModel):
    priority: str
    total: int
    resolved: int
    ai_resolved: int
    human_resolved: int
    resolution_rate: float


class ResolutionRatesResponse(SpecModel):
    total_conversations: int
    resolved_count: int
    ai_resolved_count: int
    human_resolved_count: int
    ai_resolution_rate: float
    human_resolution_rate: float
    resolution_rate: float
    by_priority: list[PriorityResolution]


class HourCount(SpecModel):
    hour_utc: int
    conversation_count: int


class TopicShare(SpecModel):
    topic: str
    conversation_count: int
    share: float


class AgentPerformance(SpecModel):
    assignee_user_id: str
    assignee_name: str
    assigned_count: int
    resolved_count: int
    resolution_rate: float
    avg_first_response_minutes: float | None
    avg_resolution_minutes: float | None


class TeamPerformance(SpecModel):
    team_id: str
    team_name: str
    assigned_count: int
    resolved_count: int
    resolution_rate: float
    avg_resolution_minutes: float | None


class TopArticle(SpecModel):
    article_id: str
    title: str
    slug: str
    view_count: int
    helpful_count: int
    not_helpful_count: int


class HelpCenterDeflection(SpecModel):
    article_count: int
    total_views: int
    helpful_feedback: int
    not_helpful_feedback: int
    deflection_rate: float
    top_articles: list[TopArticle]


class SlaDay(SpecModel):
    day: str
    tracked: int
    breached: int
    met: int
    compliance_rate: float


class EmailChannelCount(SpecModel):
    channel_id: str
    address: str
    status: str
    conversation_count: int


class EmailChannelMetrics(SpecModel):
    total_channels: int
    active_channels: int
    email_conversations: int
    inbound_messages: int
    outbound_messages: int
    bounced_contacts: int
    complained_contacts: int
    by_channel: list[EmailChannelCount]


class AggregationHealth(SpecModel):
    target_conversation_volume: int
    per_query_budget_ms: float
    total_budget_ms: float
    total_runtime_ms: float
    target_met: bool
    overview_ms: float
    sla_compliance_ms: float
    agent_performance_ms: float


class RangeEcho(SpecModel):
    date_from: str
    date_to: str


class InsightsResponse(SpecModel):
    csat: CsatResponse
    busiest_hours: list[HourCount]
    top_topics: list[TopicShare]
    agent_performance: list[AgentPerformance]
    team_performance: list[TeamPerformance]
    help_center_deflection: HelpCenterDeflection
    sla_breach_trend: list[SlaDay]
    email_channel_metrics: EmailChannelMetrics
    aggregation_health: AggregationHealth
    metadata: RangeEcho
