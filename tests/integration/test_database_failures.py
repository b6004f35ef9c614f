"""An unreachable or slow database is a 503 with Retry-After, never a 500 or a hang."""

from __future__ import annotations

from aurion.db import reset_database
from aurion.settings import get_settings
from tests.support.api import caller_for, get

OVERVIEW = "/api/v2/analytics/conversations/overview"


def test_an_unreachable_database_answers_503_with_retry_after(functions, build, monkeypatch):
    # Given a function whose database does not listen
    tenant = build.tenant()
    monkeypatch.setenv("AURION_DB_URL", "postgresql://aurion_app@127.0.0.1:1/nowhere")
    get_settings.cache_clear()
    reset_database()
    # When a request arrives
    response = get(functions("conversation_analytics"), OVERVIEW, caller_for(tenant))
    # Then it is told to retry, with no internals in the body
    assert response.status == 503
    assert set(response.body) == {"detail"}
    assert response.header("Retry-After") == "5"


def test_a_query_over_the_statement_timeout_answers_503(functions, build, monkeypatch):
    # Given a statement timeout far below what the query needs
    tenant = build.tenant()
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "100")
    get_settings.cache_clear()
    reset_database()
    module = functions("conversation_analytics")
    import aurion.rollups.conversations as conversation_facts

    monkeypatch.setattr(conversation_facts, "RANGE_FACTS_SQL", "SELECT pg_sleep(1)")
    # When the request runs
    response = get(module, OVERVIEW, caller_for(tenant))
    # Then the timeout becomes a 503
    assert response.status == 503
    assert response.header("Retry-After") == "5"


def test_the_connection_is_reopened_after_the_server_dropped_it(functions, build, owner_conn):
    # Given a warm function whose connection the server has since terminated
    tenant = build.tenant()
    module = functions("conversation_analytics")
    assert get(module, OVERVIEW, caller_for(tenant)).status == 200
    owner_conn.run(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE usename = 'aurion_app' AND application_name = 'aurion-analytics' AND datname = current_database()"
    )
    # When the next request arrives, it reconnects once and answers
    assert get(module, OVERVIEW, caller_for(tenant)).status == 200
