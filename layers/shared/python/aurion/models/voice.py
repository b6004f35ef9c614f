"""GET /api/v1/analytics/* (voice) response models: the spec's fields, and the item fields of the lists the
spec shows empty (defined in docs/metrics.md, "Voice call analytics (v1)")."""

from __future__ import annotations

from pydantic import Field

from aurion.models.base import SpecModel
from aurion.voice_params import CallOutcome, CallStatus

# --- call-metrics -------------------------------------------------------------------------------------------


class VoiceKpis(SpecModel):
    """Call KPIs: call-metrics' kpis and the unified overview's voice block."""

    total_calls: int
    completed_calls: int
    failed_calls: int
    avg_duration_seconds: float | None
    first_call_resolution_rate: float
    tickets_created: int
    escalation_count: int


class CallKpis(VoiceKpis):
    period_start: str = Field(description="start_date as asked, YYYY-MM-DD")
    period_end: str = Field(description="end_date as asked, YYYY-MM-DD")


class DailyCallVolume(SpecModel):
    date: str = Field(description="Local day in tz, YYYY-MM-DD")
    total_calls: int
    completed_calls: int
    failed_calls: int


class OutcomeShare(SpecModel):
    outcome: CallOutcome
    count: int
    percentage: float = Field(description="count / calls in the range (%)")


class PeakHour(SpecModel):
    hour: int = Field(ge=0, le=23, description="Local hour in tz (0-23)")
    day_of_week: int = Field(ge=1, le=7, description="ISO weekday in tz: 1 = Monday ... 7 = Sunday")
    call_count: int


class CallMetricsResponse(SpecModel):
    kpis: CallKpis
    call_volume: list[DailyCallVolume]
    outcome_breakdown: list[OutcomeShare]
    peak_hours: list[PeakHour]


# --- resolution-rates ---------------------------------------------------------------------------------------


class FcrDay(SpecModel):
    date: str = Field(description="Local day in tz, YYYY-MM-DD")
    total_calls: int
    fcr_calls: int = Field(description="Calls resolved on first contact")
    fcr_rate: float = Field(description="fcr_calls / total_calls (%)")


class CategoryResolution(SpecModel):
    category: str | None = Field(description="Call category; null for calls without one")
    total_calls: int
    resolved_calls: int = Field(description="Outcome `resolved` or resolved on first contact")
    resolution_rate: float = Field(description="resolved_calls / total_calls (%)")
    first_call_resolution_rate: float = Field(description="Calls resolved on first contact / total_calls (%)")
    avg_resolution_time_seconds: float | None = Field(description="Mean resolution_seconds of calls that have one")


class PeriodComparison(SpecModel):
    previous_start: str = Field(description="First day of the previous period of equal length, YYYY-MM-DD")
    previous_end: str = Field(description="Last day of the previous period (the day before start_date)")
    current_total_calls: int
    previous_total_calls: int
    total_calls_change_pct: float = Field(description="(current - previous) / previous total calls (%)")
    current_fcr_rate: float
    previous_fcr_rate: float
    fcr_rate_change: float = Field(description="current_fcr_rate - previous_fcr_rate (percentage points)")
    current_resolution_rate: float
    previous_resolution_rate: float
    resolution_rate_change: float = Field(description="Percentage points")
    current_avg_resolution_time_seconds: float | None
    previous_avg_resolution_time_seconds: float | None
    avg_resolution_time_change_seconds: float | None = Field(description="null when either average is null")


class VoiceResolutionResponse(SpecModel):
    fcr_trend: list[FcrDay]
    resolution_by_category: list[CategoryResolution]
    avg_resolution_time_seconds: float | None
    period_comparison: PeriodComparison | None = Field(description="null when the previous period has no calls")


# --- usage-patterns -----------------------------------------------------------------------------------------


class HourlyUsage(SpecModel):
    hour: int = Field(ge=0, le=23, description="Local hour in tz (0-23)")
    call_count: int
    percentage: float = Field(description="call_count / calls in the range (%)")


class WeekdayUsage(SpecModel):
    day_of_week: int = Field(ge=1, le=7, description="ISO weekday in tz: 1 = Monday ... 7 = Sunday")
    call_count: int
    percentage: float = Field(description="call_count / calls in the range (%)")


class MonthlyTrend(SpecModel):
    month: str = Field(description="Local calendar month in tz, YYYY-MM (only the part inside the range)")
    total_calls: int
    completed_calls: int
    failed_calls: int
    avg_duration_seconds: float | None
    first_call_resolution_rate: float


class LlmProviderUsage(SpecModel):
    provider: str
    total_requests: int
    total_input_tokens: int
    total_output_tokens: int
    avg_latency_ms: float | None
    error_count: int


class UsagePatternsResponse(SpecModel):
    hourly_distribution: list[HourlyUsage]
    weekly_distribution: list[WeekdayUsage]
    monthly_trends: list[MonthlyTrend]
    llm_usage: list[LlmProviderUsage]
    avg_tokens_per_call: float | None


# --- search -------------------------------------------------------------------------------------------------


class CallSearchResult(SpecModel):
    call_id: str
    phone_number_redacted: str = Field(description="***-***- and the last 4 digits")
    start_time: str = Field(description="UTC, YYYY-MM-DDTHH:MM:SSZ")
    duration_seconds: int | None
    outcome: CallOutcome
    status: CallStatus


class CallSearchResponse(SpecModel):
    results: list[CallSearchResult]
    total_count: int = Field(description="Every matching call, not only the ones returned")
    search_term_redacted: str


class RateLimitedBody(SpecModel):
    """The 429 body of the phone search (documented in the OpenAPI document; raised as errors.RateLimited)."""

    detail: str
    limit: int
