"""GET /api/v2/analytics/unified-overview: blocks follow the tenant's products."""

from __future__ import annotations

from tests.integration.conversation_scenario import RANGE, build_scenario
from tests.support.api import caller_for, get

PATH = "/api/v2/analytics/unified-overview"


def ask(functions, tenant):
    response = get(functions("unified_overview"), f"{PATH}?{RANGE}", caller_for(tenant, "tenant_owner"))
    assert response.status == 200, response.body
    return response.body


def test_a_complete_tenant_gets_every_block_computed_from_its_data(functions, build):
    scenario = build_scenario(build)
    body = ask(functions, scenario.tenant)
    assert body["profile"] == "complete"
    # Calls in range: 120 s resolved on first contact, 300 s ticket, a failed 0 s call. February's is out.
    assert body["voice"] == {
        "total_calls": 3,
        "completed_calls": 2,
        "failed_calls": 1,
        "avg_duration_seconds": 210.0,  # completed calls only: (120 + 300) / 2
        "first_call_resolution_rate": 33.3,
        "tickets_created": 1,
        "escalation_count": 0,
    }
    assert body["cs"] == {
        "total_conversations": 5,
        "ai_resolved_count": 2,
        "ai_resolution_rate": 40.0,
        "human_resolved_count": 1,
        "escalation_rate": 20.0,
        "first_response_minutes_avg": 16.3,
        "resolution_minutes_median": 120.0,
        "csat_avg": 3.7,
        "channel_distribution": [
            {"channel": "email", "conversation_count": 3},
            {"channel": "chat", "conversation_count": 1},
            {"channel": "voice", "conversation_count": 1},
        ],
    }
    # 3 calls + 5 conversations; resolved: 1 call + 3 conversations.
    assert body["cross_product"] == {
        "total_interactions": 8,
        "blended_resolution_rate": 50.0,
        "voice_share": 37.5,
        "cs_share": 62.5,
    }
    # 2 published articles; 4 views in range; feedback 3 helpful of 4; c1 was resolved by AI from an article.
    assert body["kb"] == {"total_published": 2, "total_views": 4, "helpfulness_rate": 75.0, "ai_resolutions": 1}


def test_a_platform_tenant_has_no_voice_and_no_cross_product_block(functions, build):
    scenario = build_scenario(build, products=("helpdesk", "knowledge_base"))
    body = ask(functions, scenario.tenant)
    assert body["profile"] == "platform"
    assert body["voice"] is None
    assert body["cross_product"] is None
    assert body["cs"]["total_conversations"] == 5
    assert body["kb"]["total_views"] == 4


def test_a_voice_only_tenant_has_only_the_voice_block(functions, build):
    scenario = build_scenario(build, products=("voice",))
    body = ask(functions, scenario.tenant)
    assert body["profile"] == "voice"
    assert body["voice"]["total_calls"] == 3
    assert body["cs"] is None
    assert body["cross_product"] is None
    assert body["kb"] is None
