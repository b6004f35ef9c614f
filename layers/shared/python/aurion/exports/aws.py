"""AWS clients of the export code: created on first use, reused by warm invocations, AWS_ENDPOINT_URL aware.

botocore's clients, not boto3's: `import boto3` adds boto3's session, resources and s3transfer (its S3
upload/download managers, which we never call) to botocore, ~100 ms of the export worker's cold start here.
The clients are the same objects with the same methods (presigned URLs are botocore's), credentials and region
come from the same environment chain, and moto's mocks patch botocore either way.
"""

from __future__ import annotations

from typing import Any

from aurion.settings import get_settings

_clients: dict[tuple[str, str | None], Any] = {}
_session: Any = None


def client(service: str) -> Any:
    endpoint = get_settings().aws_endpoint_url
    key = (service, endpoint)
    if key not in _clients:
        import botocore.session
        from botocore.config import Config

        global _session
        if _session is None:
            _session = botocore.session.get_session()

        # SigV4 presigning (X-Amz-Expires) everywhere; path-style addressing for local endpoints (moto, LocalStack).
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint else "auto"},
            retries={"mode": "standard", "max_attempts": 4},
        )
        _clients[key] = _session.create_client(service, endpoint_url=endpoint, config=config)
    return _clients[key]


def reset_clients() -> None:
    """Forget cached clients and the session (tests switch endpoints and moto mocks between cases)."""
    global _session
    _clients.clear()
    _session = None
