"""What the local gateway serves besides the API: the dashboard's static files and the local-only sign-in.

- `GET /` is dashboard/index.html and `GET /dashboard/<file>` a file under dashboard/, with a content type from a
  fixed list (anything else is a 404: no directory listings, no dotfiles, nothing outside dashboard/, however the
  path is encoded).
- `GET /local/tenants` lists the tenants to sign in to and `POST /local/session` `{"tenant", "role",
  "ttl_seconds"}` signs a session token exactly as `local/token.py` does (same secret, same user lookup). In AWS
  the helpdesk issues sessions: these two routes exist only in this process, never in template.yaml
  (tests/e2e/test_dashboard_site.py checks it).

Same origin as the API locally, so the page needs no CORS to call it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from wsgiref.headers import Headers

from local.gateway import GatewayResult
from local.paths import REPO_ROOT, ensure_layer_on_path

DASHBOARD_DIR = REPO_ROOT / "dashboard"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# The page loads only its own files and talks only to its own origin (the API locally).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' http: https:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
MAX_TTL_SECONDS = 8 * 3600  # local/token.py's default: a working day
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class LocalSessions:
    """Signs sessions for the dev database's tenants with the stack's session secret."""

    admin_url: str
    secret: str

    def tenants(self) -> list[dict[str, Any]]:
        import pg8000.native

        ensure_layer_on_path()
        from aurion.db import connect_params

        conn = pg8000.native.Connection(**connect_params(self.admin_url), application_name="aurion-signin", timeout=5)
        try:
            rows = conn.run("SELECT slug, name, plan FROM tenants ORDER BY slug LIMIT 200")
        finally:
            conn.close()
        return [{"slug": slug, "name": name, "plan": plan} for slug, name, plan in rows]

    def sign(self, slug: str, role: str, ttl_seconds: int) -> dict[str, Any]:
        from local.token import resolve_identity

        ensure_layer_on_path()
        from aurion.auth.tokens import issue_token

        tenant_id, user_id = resolve_identity(self.admin_url, slug, role, None)
        token = issue_token(self.secret, user_id=user_id, tenant_id=tenant_id, role=role, ttl_seconds=ttl_seconds)
        expires = datetime.fromtimestamp(datetime.now(UTC).timestamp() + ttl_seconds, UTC)
        return {
            "token": token,
            "tenant_id": tenant_id,
            "user_id": user_id,
            "role": role,
            "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
        }


def _json(status: int, payload: Any) -> GatewayResult:
    headers = Headers([("Content-Type", "application/json"), ("Cache-Control", "no-store")])
    return GatewayResult(status, headers, json.dumps(payload).encode())


def _not_found() -> GatewayResult:
    return _json(404, {"detail": "Not found"})


class DashboardSite:
    """Answers the requests that are the site's (`serve` returns None for everything else: the API's)."""

    def __init__(
        self, root: Path = DASHBOARD_DIR, sessions: LocalSessions | None = None, config: dict[str, Any] | None = None
    ) -> None:
        self.root = root.resolve()
        self.sessions = sessions
        # Instead of dashboard/config.json: what a deployment uploads (the API's URL, no local sign-in).
        self.config = config

    def serve(self, method: str, target: str, body: bytes | None) -> GatewayResult | None:
        path = urlsplit(target).path
        if path == "/local" or path.startswith("/local/"):
            return self._local(method, path, body)
        if path != "/" and path != "/dashboard" and not path.startswith("/dashboard/"):
            return None
        if method not in ("GET", "HEAD"):
            return _json(405, {"detail": f"{method} is not allowed on the dashboard's files"})
        return self._file(path)

    def file_for(self, path: str) -> Path | None:
        """The file a request path names, or None: only plain segments, only under the root, only known types."""
        if path in ("/", "/dashboard", "/dashboard/"):
            return self.root / "index.html"
        relative = unquote(path[len("/dashboard/") :])
        segments = relative.split("/")
        if not all(_SAFE_SEGMENT.fullmatch(segment) for segment in segments):
            return None  # "..", "", "\\", NUL, ".hidden", "%2e%2e" once decoded
        candidate = self.root.joinpath(*segments).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate if candidate.suffix in CONTENT_TYPES else None

    def _file(self, path: str) -> GatewayResult:
        if self.config is not None and path == "/dashboard/config.json":
            return _json(200, self.config)
        found = self.file_for(path)
        if found is None:
            return _not_found()
        headers = Headers(
            [
                ("Content-Type", CONTENT_TYPES[found.suffix]),
                # Edits show on reload; the files are small and served from the same machine.
                ("Cache-Control", "no-cache"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
            ]
        )
        if found.suffix == ".html":
            headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return GatewayResult(200, headers, found.read_bytes())

    def _local(self, method: str, path: str, body: bytes | None) -> GatewayResult:
        if self.sessions is None:
            return _not_found()
        if path == "/local/tenants" and method == "GET":
            return _json(200, {"tenants": self.sessions.tenants()})
        if path == "/local/session" and method == "POST":
            return self._sign(body)
        return _not_found()

    def _sign(self, body: bytes | None) -> GatewayResult:
        ensure_layer_on_path()
        from aurion.auth.roles import READ_ROLES

        try:
            request = json.loads(body or b"")
        except ValueError:
            return _json(400, {"detail": 'The body must be JSON: {"tenant", "role", "ttl_seconds"}'})
        if not isinstance(request, dict):
            return _json(400, {"detail": "The body must be a JSON object"})
        tenant, role, ttl = request.get("tenant"), request.get("role"), request.get("ttl_seconds", MAX_TTL_SECONDS)
        if not isinstance(tenant, str) or not tenant.strip():
            return _json(422, {"detail": "tenant must be a tenant's slug"})
        if role not in READ_ROLES:
            return _json(422, {"detail": f"role must be one of {', '.join(sorted(READ_ROLES))}"})
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL_SECONDS:
            return _json(422, {"detail": f"ttl_seconds must be a whole number of seconds from 1 to {MAX_TTL_SECONDS}"})
        try:
            return _json(200, self.sessions.sign(tenant, role, ttl) if self.sessions else {})
        except LookupError as exc:
            return _json(404, {"detail": str(exc).strip("'\"")})
