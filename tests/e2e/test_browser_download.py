"""A dashboard downloads an export in a real headless Chromium, against the local stack, with moto's blanket CORS
headers off (MOTO_DISABLE_GLOBAL_CORS=true): only the bucket's own CORS rule (the template's, applied locally by
local/exports_loop.py) lets the page read the file, as in AWS.

The page is served from an origin of its own (another port); it asks the gateway for the JSON download link with a
Bearer token (a preflighted cross-origin request), then fetches the presigned URL from moto's S3 and reads the bytes.

Needs Debian's chromium (/usr/bin/chromium or CHROMIUM_PATH) and the playwright package (never `playwright
install`: the system browser is used); skipped, saying which is missing, otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from aurion.exports.aws import reset_clients
from aurion.exports.config import get_export_config
from aurion.settings import get_settings
from local.exports_loop import EXPORT_ENVIRONMENT, WORKER_FUNCTION, ensure_export_resources, sqs_event
from local.gateway import GatewayServer, make_server
from tests.support.database import REPO

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
REGION = "eu-west-1"

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
)
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
)

# Runs in the page: what a dashboard does to download an export.
DOWNLOAD_SCRIPT = """
async ([api, exportId, token]) => {
  const link = await fetch(`${api}/api/v1/analytics/export/${exportId}/download`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  });
  const answer = { linkStatus: link.status, link: await link.json() };
  try {
    const file = await fetch(answer.link.url);
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    bytes.forEach((byte) => { binary += String.fromCharCode(byte); });
    answer.fileStatus = file.status;
    answer.disposition = file.headers.get("Content-Disposition");
    answer.base64 = btoa(binary);
  } catch (error) {
    answer.error = String(error);
  }
  return answer;
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_without_global_cors() -> Iterator[str]:
    """moto's server in a process of its own, started with MOTO_DISABLE_GLOBAL_CORS=true (read at its import)."""
    port = _free_port()
    env = {**os.environ, "MOTO_DISABLE_GLOBAL_CORS": "true"}
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass
class DashboardPage:
    origin: str


@pytest.fixture
def dashboard_page() -> Iterator[DashboardPage]:
    """An empty HTML page on a port of its own: the dashboard's origin."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>dashboard</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield DashboardPage(origin=f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


@dataclass
class LocalStack:
    gateway: GatewayServer
    s3: Any
    sqs: Any
    bucket: str
    queue_url: str
    queue_arn: str

    def run_worker(self) -> None:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        result = self.gateway.gateway.runtime.invoke(WORKER_FUNCTION, sqs_event(messages["Messages"], self.queue_arn,
                                                                               REGION))  # fmt: skip
        assert result["batchItemFailures"] == []


@pytest.fixture
def stack(app_env, monkeypatch, moto_without_global_cors, dashboard_page) -> Iterator[LocalStack]:
    """The local gateway over template.yaml with the dashboard's origin allowed, its exports in the moto server."""
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", dashboard_page.origin)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_without_global_cors)
    for name in EXPORT_ENVIRONMENT:  # made by ensure_export_resources, forgotten after the test
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXPORTS_BUCKET", "aurion-exports-browser")
    monkeypatch.setenv("EXPORT_MAX_RECEIVES", "3")
    resources = ensure_export_resources(moto_without_global_cors, name=f"aurion-exports-{os.getpid()}")
    _forget_cached_settings()
    server = make_server("127.0.0.1", 0, REPO / "template.yaml", REPO)
    thread = server.serve_in_thread()
    s3 = boto3.client("s3", endpoint_url=moto_without_global_cors, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=moto_without_global_cors, region_name=REGION)
    yield LocalStack(server, s3, sqs, resources.bucket, resources.queue_url, resources.queue_arn)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    _forget_cached_settings()


def _forget_cached_settings() -> None:
    # The functions read the endpoint, bucket and queue once per process: this stack's, then the next test's.
    get_settings.cache_clear()
    get_export_config.cache_clear()
    reset_clients()


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _produced_export(stack: LocalStack, token: str) -> str:
    created = stack.gateway.invoke(
        "POST",
        "/api/v1/analytics/export",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        '{"format": "csv", "start_date": "2026-03-01", "end_date": "2026-03-08"}',
    )
    assert created.status == 200, created.body
    stack.run_worker()
    return str(json.loads(created.body)["export_id"])


def _object_bytes(stack: LocalStack, export_id: str) -> bytes:
    listed = stack.s3.list_objects_v2(Bucket=stack.bucket)["Contents"]
    key = next(item["Key"] for item in listed if export_id in item["Key"])
    return bytes(stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read())


def test_a_page_on_the_dashboards_origin_downloads_an_export_through_the_json_link(
    stack, browser, dashboard_page, app_env, build
):
    # Given a produced export of a tenant, and its admin's token in a page served from the dashboard's origin
    tenant = build.tenant()
    token = app_env.token("tenant_admin", str(tenant))
    export_id = _produced_export(stack, token)
    page = browser.new_page()
    page.goto(dashboard_page.origin)
    # When the page asks the API for the link as JSON, then fetches the presigned URL
    answer = page.evaluate(DOWNLOAD_SCRIPT, [stack.gateway.url, export_id, token])
    # Then both cross-origin requests pass the browser's CORS checks and the page reads the file's exact bytes
    assert answer["linkStatus"] == 200
    assert "error" not in answer, answer.get("error")
    assert answer["fileStatus"] == 200
    assert base64.b64decode(answer["base64"]) == _object_bytes(stack, export_id)
    # And the exposed Content-Disposition names the file to save it as
    assert answer["disposition"] == 'attachment; filename="aurion-voice-2026-03-01-to-2026-03-08.csv"'


def test_without_the_buckets_cors_rule_the_browser_blocks_the_file(stack, browser, dashboard_page, app_env, build):
    # Given the same export, and the bucket without its CORS rule (the template before issue 14)
    tenant = build.tenant()
    token = app_env.token("tenant_admin", str(tenant))
    export_id = _produced_export(stack, token)
    stack.s3.delete_bucket_cors(Bucket=stack.bucket)
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(dashboard_page.origin)
    # When the page fetches the presigned URL
    answer = page.evaluate(DOWNLOAD_SCRIPT, [stack.gateway.url, export_id, token])
    # Then the link still arrives, but Chromium refuses the page the file: the rule is what passes the check
    assert answer["linkStatus"] == 200
    assert answer["error"] == "TypeError: Failed to fetch"
    assert any("blocked by CORS policy" in line for line in console), console
