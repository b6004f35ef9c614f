"""boto3 clients of the export code: created on first use, reused by warm invocations, AWS_ENDPOINT_URL aware."""

from __future__ import annotations

from typing import Any

from aurion.settings import get_settings

_clients: dict[tuple[str, str | None], Any] = {}


def client(service: str) -> Any:
    endpoint = get_settings().aws_endpoint_url
    key = (service, endpoint)
    if key not in _clients:
        import boto3
        from botocore.config import Config

        # SigV4 presigning (X-Amz-Expires) everywhere; path-style addressing for local endpoints (moto, LocalStack).
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint else "auto"},
            retries={"mode": "standard", "max_attempts": 4},
        )
        _clients[key] = boto3.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
    return _clients[key]


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and moto mocks between cases)."""
    _clients.clear()
