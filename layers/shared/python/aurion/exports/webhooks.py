"""Signed HTTPS webhooks: the per-destination secret, the signature, the receiver's check, and the SSRF guard.

Every delivery is a POST of a JSON body with two headers:
    Aurion-Timestamp: <unix seconds>
    Aurion-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
A receiver recomputes the HMAC over the raw body and refuses a timestamp more than REPLAY_WINDOW_SECONDS from its
own clock (verify_signature below is the check docs/exports.md shows). The secret is never stored: it is derived
from the deployment's webhook key and the destination's id and random salt, shown once at creation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
import time
from urllib.parse import urlsplit

REPLAY_WINDOW_SECONDS = 300
TIMESTAMP_HEADER = "Aurion-Timestamp"
SIGNATURE_HEADER = "Aurion-Signature"
SECRET_PREFIX = "whsec_"


def destination_secret(key: bytes, destination_id: str, salt: str) -> str:
    digest = hmac.new(key, f"export-webhook:{destination_id}:{salt}".encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify_signature(
    secret: str, body: bytes, timestamp: str, signature: str, now: float | None = None, tolerance: int = 300
) -> bool:
    """The receiver's check (copied verbatim into docs/exports.md): the HMAC over timestamp + "." + raw body
    matches, compared in constant time, and the timestamp is within `tolerance` seconds of the receiver's clock."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{sent_at}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v1={expected}", signature)


class UnsafeWebhookUrl(ValueError):
    """The URL may not be a webhook target; the message says why (shown to the admin)."""


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def check_webhook_url(url: str, *, allow_private: bool, resolve: bool = True) -> list[str]:
    """Refuse what is not https:// on port 443 (http:// and other ports only when private targets are allowed: a
    local receiver), carries credentials, or names (or resolves to) a loopback, private, link-local or otherwise
    non-public address. Returns the addresses the host resolved to (the caller connects to one of them, so a
    second lookup cannot swap in another: DNS rebinding)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeWebhookUrl("The webhook URL must start with https://")
    if not parts.hostname:
        raise UnsafeWebhookUrl("The webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeWebhookUrl("The webhook URL may not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeWebhookUrl("The webhook URL has an invalid port") from None
    # The functions' security group lets TLS out on 443 only; refusing other ports also keeps the URL from probing
    # services of a public host.
    if not allow_private and port != 443:
        raise UnsafeWebhookUrl("The webhook URL must use port 443")
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    elif not resolve:
        return []
    else:
        try:
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):  # UnicodeError: a label the IDNA codec refuses (empty, over 63 characters)
            raise UnsafeWebhookUrl("The webhook host does not resolve") from None
        addresses = sorted({str(info[4][0]) for info in infos})
    if not allow_private:
        for address in addresses:
            if _private(ipaddress.ip_address(address.split("%")[0])):
                raise UnsafeWebhookUrl("The webhook URL points to a private, loopback or link-local address")
    return addresses
