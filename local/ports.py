"""Whether a local TCP port can be listened on, asked the way the servers that will listen on it bind.

The gateway (`allow_reuse_address`), moto's werkzeug server and PostgreSQL all bind with SO_REUSEADDR, so a
port whose only sockets are connections lingering in TIME_WAIT (a server stopped a moment ago) is free to
them. A probe without SO_REUSEADDR would call that port in use for up to a minute after every restart.
"""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def port_free(port: int, host: str = HOST) -> bool:
    """True when a server binding with SO_REUSEADDR could listen on host:port now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
