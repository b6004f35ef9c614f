"""One signed webhook POST, to an address the SSRF guard approved, without following redirects.

The connection goes to the address check_webhook_url resolved (TLS still verifies the URL's host name), so the
host cannot resolve to a public address for the check and a private one for the request.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from aurion.exports.webhooks import check_webhook_url, signed_headers

RESPONSE_PEEK_BYTES = 512


@dataclass(frozen=True)
class WebhookResult:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post_webhook(url: str, secret: str, body: bytes, *, allow_private: bool, timeout: float) -> WebhookResult:
    try:
        addresses = check_webhook_url(url, allow_private=allow_private)
    except ValueError as exc:
        return WebhookResult(None, str(exc))
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPS if https else _PinnedHTTP
    connection = connection_class(host, port, addresses[0], timeout)
    try:
        headers = {**signed_headers(secret, body), "User-Agent": "Aurion-Webhooks/1"}
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_PEEK_BYTES)
        status = response.status
    except TimeoutError:
        return WebhookResult(None, "The receiver did not answer in time")
    except ssl.SSLError:
        return WebhookResult(None, "TLS handshake with the receiver failed")
    except OSError:
        return WebhookResult(None, "Could not connect to the receiver")
    except http.client.HTTPException:
        return WebhookResult(None, "The receiver's answer was not valid HTTP")
    finally:
        connection.close()
    if 200 <= status < 300:
        return WebhookResult(status, None)
    if 300 <= status < 400:
        return WebhookResult(status, f"The receiver answered {status} (redirects are not followed)")
    return WebhookResult(status, f"The receiver answered {status}")
