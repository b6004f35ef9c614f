"""The database socket: connected and handshaken within the connect timeout, then patient for as long as a query
may run (aurion.db_socket, through pg8000's public sock and ssl_context parameters)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from aurion.db import Database
from aurion.errors import ServiceUnavailable


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and then says nothing (a wedged database or proxy)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        yield silent.getsockname()[1]
    finally:
        silent.close()


def test_a_query_may_run_longer_than_the_connect_timeout(database):
    # Given a connect timeout of 0.3 s and a statement timeout of 5 s
    db = Database(database.app_url, statement_timeout_ms=5000, connect_timeout_s=0.3)
    try:
        # When a query takes 0.8 s
        with db.transaction(None) as tx:
            answer = tx.value("SELECT 1 FROM pg_sleep(0.8)")
    finally:
        db.close()
    # Then it answers: after the handshake the socket waits as long as a statement may run
    assert answer == 1


def test_a_database_that_never_answers_the_handshake_is_unavailable_within_the_connect_timeout(silent_port):
    # Given a database address that accepts the connection but never answers the startup
    db = Database(f"postgresql://aurion_app:x@127.0.0.1:{silent_port}/aurion", statement_timeout_ms=10_000,
                  connect_timeout_s=0.5)  # fmt: skip
    started = time.monotonic()
    # When a transaction begins
    with pytest.raises(ServiceUnavailable), db.transaction(None):
        pass
    # Then the connect timeout bounds the wait, not the statement timeout
    assert time.monotonic() - started < 1.5


def test_sslmode_require_against_a_server_without_tls_is_refused_not_downgraded(database):
    # Given the test server, which offers no TLS, and a URL that requires it
    db = Database(f"{database.app_url}?sslmode=require", statement_timeout_ms=5000, connect_timeout_s=2)
    # When a transaction begins / Then the connection is refused rather than made in plain text
    with pytest.raises(ServiceUnavailable), db.transaction(None):
        pass


def test_sslmode_prefer_against_a_server_without_tls_connects_in_plain(database):
    # Given the test server, which offers no TLS, and the default sslmode (prefer)
    db = Database(database.app_url, statement_timeout_ms=5000, connect_timeout_s=2)
    try:
        # When a transaction runs
        with db.transaction(None) as tx:
            ssl_in_use = tx.value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    finally:
        db.close()
    # Then it connected, without TLS
    assert ssl_in_use is False
