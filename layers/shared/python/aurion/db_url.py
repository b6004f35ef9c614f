"""Database URLs: what settings validation checks at cold start and what a connection is opened with.

Settings (validation) and aurion.db (connections) both read the URL; keeping its parsing here lets settings stay
below the database layer.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

SSL_MODES = ("disable", "prefer", "require", "verify-ca", "verify-full")


def check_database_url(url: str) -> str:
    """The URL's sslmode, after checking what settings validation can check without touching files or sockets."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError("database URL must start with postgresql://")
    mode = parse_qs(parsed.query or "").get("sslmode", ["prefer"])[0]
    if mode not in SSL_MODES:
        raise ValueError(f"unsupported sslmode {mode!r}: use {', '.join(SSL_MODES)}")
    return mode


def connect_params(url: str) -> dict[str, Any]:
    mode = check_database_url(url)
    parsed = urlparse(url)
    params: dict[str, Any] = {
        "user": unquote(parsed.username or "postgres"),
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "database": (parsed.path or "/postgres").lstrip("/") or "postgres",
    }
    if parsed.password:
        params["password"] = unquote(parsed.password)
    ssl_context = _ssl_context(mode, parsed.query or "")
    if ssl_context is not None:
        params["ssl_context"] = ssl_context
    return params


def _ssl_context(mode: str, query: str) -> ssl.SSLContext | bool | None:
    """TLS from the URL's libpq-style `sslmode` (and `sslrootcert`, a CA bundle file).

    - absent, `prefer`: pg8000's default, TLS when the server offers it, the certificate not verified;
    - `disable`: plain TCP (local servers);
    - `require`: TLS with the server's certificate verified (stricter than libpq, whose `require` does not);
    - `verify-ca`: the chain verified, not the host name; `verify-full`: both.
    For RDS the bundle is Amazon's RDS CA file, shipped with the deployment (docs/deployment.md).
    """
    if mode == "prefer":
        return None
    if mode == "disable":
        return False
    context = ssl.create_default_context(cafile=parse_qs(query).get("sslrootcert", [None])[0])
    context.check_hostname = mode != "verify-ca"
    return context
