"""The socket a database connection runs on: opened and handshaken within the connect timeout, then given the
query timeout, through pg8000's public `sock` and `ssl_context` parameters.

pg8000 has one socket timeout for a connection's whole life. We want two: a wedged database or proxy that accepts
TCP and then says nothing must be a 503 within seconds, while a query may run up to statement_timeout. So we open
the socket ourselves, hand it to pg8000 for the startup (TLS negotiation, authentication) under the connect timeout,
and lengthen the timeout of the socket pg8000 then reads: ours, or the TLS socket our context wrapped it in.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pg8000.exceptions import InterfaceError

# pg8000's words when the server answers a TLS request with "no" and the caller asked for TLS.
_TLS_REFUSED = "Server refuses SSL"


class _RemembersTlsSocket:
    """An ssl_context for pg8000 (it only calls wrap_socket) that keeps the TLS socket it made."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self.wrapped: ssl.SSLSocket | None = None

    def wrap_socket(self, sock: socket.socket, server_hostname: str | None = None) -> ssl.SSLSocket:
        self.wrapped = self._context.wrap_socket(sock, server_hostname=server_hostname)
        return self.wrapped


def _unverified_context() -> ssl.SSLContext:
    # What pg8000 uses for sslmode=prefer (ssl_context None): TLS when offered, the certificate not verified.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@contextmanager
def _socket(host: str, port: int, connect_timeout_s: float) -> Iterator[socket.socket]:
    """A TCP socket connected within the timeout (which then bounds the startup too), closed if startup fails."""
    raw = socket.create_connection((host, port), timeout=connect_timeout_s)
    try:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)  # what pg8000 sets on sockets it opens itself
        yield raw
    except BaseException:
        raw.close()
        raise


def open_connection(
    connect: Callable[..., Any], params: dict[str, Any], *, connect_timeout_s: float, query_timeout_s: float
) -> Any:
    """connect(**params, sock=…, ssl_context=…) on a socket of ours; the connection's socket then waits up to
    query_timeout_s. params are aurion.db_url.connect_params(): ssl_context None is sslmode=prefer, False disable.
    """
    params = dict(params)
    tls = params.pop("ssl_context", None)
    # prefer: TLS when the server offers it, else plain. pg8000 does that only with a context of its own (which we
    # could not reach), so ask for TLS with the same unverified context and, if refused, connect again in plain.
    attempts: list[ssl.SSLContext | bool] = [_unverified_context(), False] if tls is None else [tls]
    for attempt, context in enumerate(attempts, start=1):
        remembers = _RemembersTlsSocket(context) if isinstance(context, ssl.SSLContext) else None
        with _socket(params["host"], params["port"], connect_timeout_s) as raw:
            try:
                conn = connect(**params, sock=raw, ssl_context=remembers if remembers is not None else False)
            except InterfaceError as exc:
                if attempt < len(attempts) and _TLS_REFUSED in str(exc):
                    raw.close()
                    continue
                raise
            in_use = remembers.wrapped if remembers is not None and remembers.wrapped is not None else raw
            in_use.settimeout(query_timeout_s)
            return conn
    raise AssertionError("unreachable: the last attempt returns or raises")
