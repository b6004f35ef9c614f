"""The whole local stack for the dashboard's browser tests, as `make run` assembles it: the gateway with the
dashboard and its local sign-in, moto (in-process, on a free port) with the export loop polling the queue into the
worker, and the session's database holding small versions of the three demo tenants.

The demo tenants keep their plans, products and time zones (local/seed/demo.py) but have two weeks of data ending
at a fixed instant instead of months ending today, so the tests are quick and never depend on the date; their slugs
get a suffix, since other tests of the session may create tenants of their own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from aurion.db import reset_database
from aurion.exports.aws import reset_clients
from aurion.exports.config import get_export_config
from aurion.ratelimit import reset_limiters
from aurion.settings import get_settings
from local.dashboard_site import DashboardSite, LocalSessions
from local.exports_loop import EXPORT_ENVIRONMENT, ExportsLoop
from local.gateway import GatewayResult, GatewayServer, make_server
from local.seed import seed_tenant
from local.seed.demo import demo_specs
from tests.support.database import REPO, TestDatabase

SESSION_SECRET = "dashboard-session-secret-that-is-long-enough-for-hs256"
REGION = "eu-west-1"
SEED_END = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
SEED_DAYS = 14
# The range the pages are opened with: the seeded fortnight's last ten whole days.
RANGE_FROM, RANGE_TO = date(2026, 2, 27), date(2026, 3, 8)
ARTIFACTS = REPO / ".artifacts" / "screenshots"
# Volumes per demo slug: enough for every panel to have rows, small enough to seed in seconds.
VOLUMES = {"acme": (900, 300), "globex": (600, 0), "initech": (100, 0)}


class _SiteOnly(BaseHTTPRequestHandler):
    """The dashboard's files on an origin of their own, as CloudFront serves them: nothing else, no API."""

    server: _SiteServer

    def do_GET(self) -> None:
        result = self.server.site.serve("GET", self.path, None)
        status, headers, body = result if result is not None else (404, {"Content-Type": "application/json"}, b"{}")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: DashboardSite) -> None:
        self.site = site
        super().__init__(("127.0.0.1", 0), _SiteOnly)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class DashboardStack:
    server: GatewayServer
    # The deployed topology: the page on another origin, configured with the API's URL and no local sign-in.
    cross_origin: str
    database: TestDatabase
    tenants: dict[str, str]  # demo slug -> this stack's slug
    s3: Any
    bucket: str

    @property
    def url(self) -> str:
        return self.server.url

    def sign_in(self, demo: str, role: str, ttl_seconds: int = 600) -> dict[str, Any]:
        """A session as the sign-in page gets it."""
        result = self.server.site.serve(  # type: ignore[union-attr]
            "POST",
            "/local/session",
            json.dumps({"tenant": self.tenants[demo], "role": role, "ttl_seconds": ttl_seconds}).encode(),
        )
        assert result is not None
        assert result.status == 200, result.body
        return dict(json.loads(result.body))

    def api(self, path: str, token: str, **params: str) -> Any:
        """The API's answer, read the way the page reads it (the same gateway, the same token)."""
        query = "&".join(f"{key}={value}" for key, value in params.items())
        result: GatewayResult = self.server.invoke("GET", f"{path}?{query}" if query else path,
                                                   {"Authorization": f"Bearer {token}"})  # fmt: skip
        assert result.status == 200, (path, result.status, result.body)
        return result.json()

    def object_bytes(self, export_id: str) -> bytes:
        listed = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        key = next(item["Key"] for item in listed if export_id in item["Key"])
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())


def _forget_cached_state() -> None:
    get_settings.cache_clear()
    get_export_config.cache_clear()
    reset_database()
    reset_limiters()
    reset_clients()


def _seed_demo_tenants(admin_url: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    slugs = {}
    for spec in demo_specs(SEED_END):
        conversations, calls = VOLUMES[spec.slug]
        slug = f"{spec.slug}-{suffix}"
        seed_tenant(
            admin_url, dataclasses.replace(spec, slug=slug, conversations=conversations, calls=calls, days=SEED_DAYS)
        )
        slugs[spec.slug] = slug
    return slugs


@contextmanager
def dashboard_stack(database: TestDatabase) -> Iterator[DashboardStack]:
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AURION_DB_URL", database.app_url)
        env.setenv("AURION_SESSION_SECRET", SESSION_SECRET)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        for name in EXPORT_ENVIRONMENT:  # made by the export loop's resources
            env.delenv(name, raising=False)
        env.setenv("EXPORTS_BUCKET", f"aurion-exports-dashboard-{os.getpid()}")
        env.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        for name in ("DB_SECRET_ARN", "SESSION_SECRET_ARN", "REDIS_URL"):
            env.delenv(name, raising=False)
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        # The other origin first: the API's CORS (functions, preflights, the exports bucket) must name it.
        elsewhere = _SiteServer(DashboardSite(config={"api_base": "", "local_sign_in": False}))
        env.setenv("CORS_ALLOWED_ORIGINS", elsewhere.origin)
        _forget_cached_state()
        tenants = _seed_demo_tenants(database.admin_url)
        site = DashboardSite(sessions=LocalSessions(database.admin_url, SESSION_SECRET))
        server = make_server("127.0.0.1", 0, REPO / "template.yaml", REPO, site=site)
        assert elsewhere.site.config is not None
        elsewhere.site.config["api_base"] = server.url
        loop = ExportsLoop.start(endpoint, invoke=server.gateway.runtime.invoke)
        thread = server.serve_in_thread()
        elsewhere_thread = threading.Thread(target=elsewhere.serve_forever, daemon=True)
        elsewhere_thread.start()
        try:
            yield DashboardStack(
                server=server,
                cross_origin=elsewhere.origin,
                database=database,
                tenants=tenants,
                s3=boto3.client("s3", endpoint_url=endpoint, region_name=REGION),
                bucket=loop.resources.bucket,
            )
        finally:
            loop.stop()
            elsewhere.shutdown()
            elsewhere.server_close()
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            moto.stop()
            _forget_cached_state()


def range_query(tz: str = "UTC") -> str:
    return f"from={RANGE_FROM.isoformat()}&to={RANGE_TO.isoformat()}&tz={tz}"


def v2_range(tz_offset_hours: int = 0) -> dict[str, str]:
    """The v2 instants the page sends for the range in a zone with this fixed offset (UTC: 0)."""
    start = datetime.combine(RANGE_FROM, datetime.min.time(), UTC) - timedelta(hours=tz_offset_hours)
    end = datetime.combine(RANGE_TO, datetime.max.time().replace(microsecond=0), UTC) - timedelta(hours=tz_offset_hours)
    return {"date_from": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "date_to": end.strftime("%Y-%m-%dT%H:%M:%SZ")}


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


# The page's number formats (dashboard/js/dom.js), for comparing the DOM with the API's answers.
def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}%"


def minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} min"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} s"
