"""Restarting `make run` at once: the port probe asks the way the gateway binds (SO_REUSEADDR).

A stopped gateway leaves the connections it closed in TIME_WAIT on its port for up to a minute; the gateway
itself binds over them (allow_reuse_address), so the probe in front of it must call that port free.
"""

from __future__ import annotations

import socket

import pytest

from local.gateway import make_server
from local.ports import HOST, port_free
from tests.support.database import REPO

TEMPLATE = REPO / "template.yaml"


def _bind_without_reuse(port: int) -> None:
    """What the probe did before: a plain bind, which TIME_WAIT connections refuse."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        plain.bind((HOST, port))


def _request_read_to_the_end(port: int) -> bytes:
    """One request that asks the server to close (urllib does), read until it has: the server closes first, so
    the connection's TIME_WAIT is on the server's port (as when `make run` exits under open connections)."""
    with socket.create_connection((HOST, port), timeout=5) as client:
        client.sendall(b"GET /not-a-route HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := client.recv(4096):
            received += chunk
    return received


def test_the_port_of_a_gateway_stopped_a_moment_ago_is_free_while_its_last_connection_lingers():
    # Given a local gateway that answered one request, closed its connection, and then stopped
    server = make_server(HOST, 0, TEMPLATE, REPO)
    port = server.server_address[1]
    thread = server.serve_in_thread()
    assert _request_read_to_the_end(port).startswith(b"HTTP/1.1 404")
    server.shutdown()
    server.server_close()
    thread.join(5)
    # And that connection lingers in TIME_WAIT on the port (the old probe's plain bind is refused)
    with pytest.raises(OSError, match="in use"):
        _bind_without_reuse(port)
    # When `make run` starts again and probes the port, Then it is free
    assert port_free(port)
    # And the gateway binds it again
    again = make_server(HOST, port, TEMPLATE, REPO)
    assert again.server_address[1] == port
    again.server_close()


@pytest.mark.parametrize("listen_on", [HOST, "0.0.0.0"])
def test_a_port_another_server_listens_on_is_in_use_even_when_it_binds_with_reuse(listen_on):
    # Given another server listening on a port, itself bound with SO_REUSEADDR (as a second `make run` would be)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind((listen_on, 0))
        other.listen()
        # When the probe asks, Then the port is in use
        assert not port_free(other.getsockname()[1])
