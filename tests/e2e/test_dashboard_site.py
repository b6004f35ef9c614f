"""The dashboard's static files and the local-only sign-in, served by the local gateway over real HTTP.

No browser needed: what a browser would ask for (the page, its modules with the right content types) and what an
attacker would (paths out of dashboard/, however encoded), plus the sign-in route's answers and where it may not be.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aurion.auth.tokens import verify_token
from local.dashboard_site import DASHBOARD_DIR, DashboardSite, LocalSessions
from local.gateway import GatewayServer, make_server
from tests.conftest import SESSION_SECRET
from tests.support.database import REPO


@pytest.fixture(scope="module")
def server(database) -> Iterator[GatewayServer]:
    # One gateway for the module (each is a cold start); the tests that reach the API take app_env for its settings.
    site = DashboardSite(sessions=LocalSessions(database.admin_url, SESSION_SECRET))
    gateway = make_server("127.0.0.1", 0, REPO / "template.yaml", REPO, site=site)
    thread = gateway.serve_in_thread()
    yield gateway
    gateway.shutdown()
    gateway.server_close()
    thread.join(timeout=5)


def _raw(server: GatewayServer, method: str, path: str, body: bytes | None = None) -> http.client.HTTPResponse:
    """The path exactly as given: http.client sends it unnormalised, as an attacker's client would."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def test_the_root_is_the_dashboards_page_with_a_content_security_policy(server):
    # When a browser opens the stack's root
    response = _raw(server, "GET", "/")
    # Then it gets dashboard/index.html as HTML, allowed to run only its own scripts
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert response.body == (DASHBOARD_DIR / "index.html").read_bytes()  # type: ignore[attr-defined]
    assert "script-src 'self'" in response.getheader("Content-Security-Policy", "")
    assert response.getheader("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/dashboard/js/main.js", "text/javascript; charset=utf-8"),
        ("/dashboard/app.css", "text/css; charset=utf-8"),
        ("/dashboard/config.json", "application/json"),
    ],
)
def test_assets_are_served_with_the_content_type_a_module_script_needs(server, path, content_type):
    response = _raw(server, "GET", path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type


def test_every_module_the_page_imports_is_served(server):
    # Given every relative import of every module under dashboard/js
    modules = list((DASHBOARD_DIR / "js").rglob("*.js"))
    imports = {
        (module.parent / target).resolve()
        for module in modules
        for target in re.findall(r'from "(\.{1,2}/[^"]+)"', module.read_text(encoding="utf-8"))
    }
    # Then each names a file that exists and the site serves
    for target in sorted(imports):
        assert target.is_file(), target
        response = _raw(server, "GET", "/dashboard/" + target.relative_to(DASHBOARD_DIR).as_posix())
        assert response.status == 200, target


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/../template.yaml",
        "/dashboard/..%2ftemplate.yaml",
        "/dashboard/%2e%2e/template.yaml",
        "/dashboard/%2E%2E%2Ftemplate.yaml",
        "/dashboard/js/..%2f..%2fMakefile",
        "/dashboard/..%5ctemplate.yaml",
        "/dashboard/js/%00main.js",
        "/dashboard//etc/passwd",
        "/dashboard/%2fetc%2fpasswd",
        "/dashboard/.git/config",
        "/dashboard/js",
        "/dashboard/js/",
        "/dashboard/missing.js",
    ],
)
def test_no_path_reaches_a_file_outside_the_dashboard_folder_or_a_listing(server, path):
    # When a client asks for a path that climbs out of dashboard/, names a directory, or hides in an encoding
    response = _raw(server, "GET", path)
    # Then it is a plain JSON 404, never a file's bytes
    assert response.status == 404
    assert json.loads(response.body) == {"detail": "Not found"}  # type: ignore[attr-defined]


def test_the_file_lookup_itself_refuses_a_symlink_out_of_the_root(tmp_path: Path):
    # Given a site root holding a link to a file outside it
    root = tmp_path / "site"
    root.mkdir()
    (tmp_path / "secret.js").write_text("secret")
    (root / "link.js").symlink_to(tmp_path / "secret.js")
    # Then the link is not served
    assert DashboardSite(root).file_for("/dashboard/link.js") is None


def test_the_api_still_owns_its_paths(server, app_env):
    # When a client asks for an API path and an unknown one beside the site
    teams = _raw(server, "GET", "/api/v2/analytics/conversations/teams")
    unknown = _raw(server, "GET", "/nothing-here")
    # Then the API's authorizer answers the first (no session: 401) and the template's 404 the second
    assert teams.status == 401
    assert unknown.status == 404


def test_a_deployments_config_replaces_the_local_one():
    # Given the site configured as a deployment uploads it (the API elsewhere, no local sign-in)
    site = DashboardSite(config={"api_base": "https://api.example.com/api", "local_sign_in": False})
    # Then the page reads that config, and the local sign-in does not exist
    result = site.serve("GET", "/dashboard/config.json", None)
    assert result is not None
    assert json.loads(result.body) == {"api_base": "https://api.example.com/api", "local_sign_in": False}
    assert json.loads((DASHBOARD_DIR / "config.json").read_text()) == {"api_base": "", "local_sign_in": True}


def test_the_files_are_read_only(server):
    response = _raw(server, "POST", "/dashboard/app.css", b"{}")
    assert response.status == 405


def test_a_signed_session_is_a_token_the_authorizer_accepts(server, app_env, build):
    # Given a tenant with an admin user
    tenant = build.tenant("dash-signin")
    user = build.user(tenant, "Ada Admin", role="tenant_admin")
    # When the sign-in page asks for a tenant_admin session of ten minutes
    response = _raw(server, "POST", "/local/session", json.dumps({"tenant": "dash-signin", "role": "tenant_admin",
                                                                  "ttl_seconds": 600}).encode())  # fmt: skip
    body = json.loads(response.body)  # type: ignore[attr-defined]
    # Then the token names that tenant, that user and that role, signed with the stack's secret
    assert response.status == 200
    session = verify_token(app_env.secret, body["token"])
    assert (session.tenant_id, session.user_id, session.role) == (str(tenant), str(user), "tenant_admin")
    assert body["tenant_id"] == str(tenant)
    assert body["user_id"] == str(user)
    # And the API answers it
    teams = server.invoke("GET", "/api/v2/analytics/conversations/teams", {"Authorization": f"Bearer {body['token']}"})
    assert teams.status == 200


def test_the_tenant_list_names_every_tenant_to_sign_in_to(server, build):
    build.tenant("dash-listed", name="Listed Ltd")
    response = _raw(server, "GET", "/local/tenants")
    tenants = json.loads(response.body)["tenants"]  # type: ignore[attr-defined]
    assert {"slug": "dash-listed", "name": "Listed Ltd", "plan": "professional"} in tenants


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"not json", 400, "The body must be JSON"),
        (b"[]", 400, "The body must be a JSON object"),
        (b'{"role": "tenant_admin"}', 422, "tenant must be"),
        (b'{"tenant": "dash-any", "role": "owner_of_everything"}', 422, "role must be one of"),
        (b'{"tenant": "dash-any", "role": "agent", "ttl_seconds": 0}', 422, "ttl_seconds must be"),
        (b'{"tenant": "dash-any", "role": "agent", "ttl_seconds": 28801}', 422, "ttl_seconds must be"),
        (b'{"tenant": "dash-any", "role": "agent", "ttl_seconds": true}', 422, "ttl_seconds must be"),
        (b'{"tenant": "dash-nobody", "role": "agent"}', 404, "no tenant 'dash-nobody'"),
    ],
)
def test_a_bad_sign_in_request_is_a_4xx_that_says_why(server, body, status, detail):
    response = _raw(server, "POST", "/local/session", body)
    assert response.status == status
    assert detail in json.loads(response.body)["detail"]  # type: ignore[attr-defined]


def test_without_local_sessions_the_sign_in_routes_do_not_exist(app_env):
    # Given the site without sessions (what a gateway without the dev stack's database would have)
    site = DashboardSite()
    # Then its sign-in routes are 404s
    result = site.serve("POST", "/local/session", b'{"tenant": "acme", "role": "super_admin"}')
    assert result is not None
    assert result.status == 404


def test_the_sign_in_is_never_deployed():
    # Given the deployment and everything that goes into a function or a layer
    template = (REPO / "template.yaml").read_text(encoding="utf-8")
    deployed = [*REPO.glob("functions/**/*.py"), *REPO.glob("layers/**/*.py")]
    # Then no route of the template is the local sign-in, and no deployed code imports it or the token tool
    assert "/local/" not in template
    for path in deployed:
        text = path.read_text(encoding="utf-8")
        assert "dashboard_site" not in text, path
        assert "local.token" not in text, path
