"""What CloudFormation does around a custom resource, for the migrations function's tests: the two RDS secrets in
moto's Secrets Manager, the request event, and a local HTTP receiver standing in for the presigned ResponseURL.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse

STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/aurion-analytics/6c7b3a10-0000-4000-8000-000000000001"


@dataclass
class Received:
    """One PUT the receiver got: what CloudFormation would read."""

    method: str
    content_type: str | None
    body: dict[str, Any]


@dataclass
class ResponseReceiver:
    url: str
    received: list[Received] = field(default_factory=list)

    def only(self) -> Received:
        assert len(self.received) == 1, self.received
        return self.received[0]


@contextmanager
def response_receiver() -> Iterator[ResponseReceiver]:
    """An HTTP server on a free local port that records each request's method, content type and JSON body."""
    receiver = ResponseReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            receiver.received.append(Received("PUT", self.headers.get("Content-Type"), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/cloudformation-response?X-Amz-Signature=test"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def rds_secret(url: str) -> str:
    """The standard RDS secret JSON of a postgresql:// URL (as AWS generates for a cluster or a user)."""
    parsed = urlparse(url)
    return json.dumps(
        {
            "engine": "postgres",
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 5432,
            "username": unquote(parsed.username or "postgres"),
            "password": unquote(parsed.password or ""),
            "dbname": (parsed.path or "/postgres").lstrip("/"),
        }
    )


def create_secret(client: Any, name: str, value: str) -> str:
    return str(client.create_secret(Name=f"{name}-{uuid.uuid4().hex[:8]}", SecretString=value)["ARN"])


def request_event(
    request_type: str,
    response_url: str,
    properties: dict[str, Any],
    *,
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A CloudFormation custom-resource request as Lambda receives it."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:aurion-analytics-MigrationsFunction",
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": "Migrations",
        "ResourceType": "Custom::Migrations",
        "ResourceProperties": properties,
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = old_properties
    return event


def answer_sample(handler: Any, event: dict[str, Any], owner_url: str, app_password: str) -> dict[str, Any]:
    """Run a sample custom-resource event: its secrets made in moto in place of the sample's ARNs, its ResponseURL a
    local receiver; returns what CloudFormation would have read."""
    from moto import mock_aws

    from tests.support.api import FakeLambdaContext

    with mock_aws(), response_receiver() as receiver:
        import boto3

        secrets = boto3.client("secretsmanager", region_name="eu-west-1")
        properties = dict(event["ResourceProperties"])
        properties["OwnerSecretArn"] = create_secret(secrets, "aurion/owner", rds_secret(owner_url))
        properties["AppSecretArn"] = create_secret(
            secrets, "aurion/app", json.dumps({"username": "aurion_app", "password": app_password})
        )
        handler.lambda_handler(dict(event, ResponseURL=receiver.url, ResourceProperties=properties),
                               FakeLambdaContext())  # fmt: skip
        return receiver.only().body
