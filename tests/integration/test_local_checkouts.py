"""Two clones on one machine, and the commands run beside `make run`: the newcomer's first minutes.

Each fake checkout is a `.local` directory of its own, with real embedded PostgreSQL servers
(local/embedded_pg.py), so ports, data directories and what `make stop` stops are what a real clone gets.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pg8000.native
import pytest

from aurion.auth.tokens import verify_token
from aurion.migrate import APP_ROLE, migrate
from local import embedded_pg, stack
from local import token as token_tool
from local.bench import server as bench
from local.ports import HOST, port_free

pytestmark = pytest.mark.usefixtures("no_database_url")


@pytest.fixture
def no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # A newcomer's shell: whatever the suite runs against, these commands must find their server themselves.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("EMBEDDED_PG_PORT", raising=False)


@pytest.fixture
def clones_root() -> Iterator[Path]:
    # Not under tmp_path: pytest makes its base directory owner-only again whenever a session starts (another
    # xdist worker, another run on the machine), which would lock the servers' own user out of their data.
    root = Path(tempfile.mkdtemp(prefix="aurion-clones-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def checkouts(clones_root: Path) -> Iterator[tuple[Path, Path]]:
    """The `.local` directories of two clones; every server started in them is stopped afterwards."""
    first, second = clones_root / "clone-a" / ".local", clones_root / "clone-b" / ".local"
    yield first, second
    for local_dir in (first, second):
        embedded_pg.stop_all(local_dir)


def free_port() -> int:
    """A free port with a free one above it; random, so tests running at once do not pick the same."""
    for _ in range(1000):
        port = random.randrange(20000, 30000)  # below the kernel's ephemeral range: no client takes it meanwhile
        if port_free(port) and port_free(port + 1):
            return port
    raise AssertionError("no free port")


def query_port(server: embedded_pg.Server) -> int:
    conn = pg8000.native.Connection(user="postgres", host=HOST, port=server.port, database="postgres", timeout=5)
    try:
        return int(conn.run("SHOW port")[0][0])
    finally:
        conn.close()


def test_a_second_clone_gets_a_port_of_its_own_and_finds_it_again_on_the_next_run(checkouts):
    first, second = checkouts
    shared_default = free_port()
    # Given the first clone's embedded test server listening on the default port
    a = embedded_pg.start_server(first / "pgdata-test", shared_default)
    assert a.port == shared_default
    # When the second clone starts its own with the same default
    b = embedded_pg.start_server(second / "pgdata-test", shared_default)
    # Then it listens on another port, and both servers answer side by side
    assert b.started
    assert b.port != a.port
    assert (query_port(a), query_port(b)) == (a.port, b.port)
    # And, stopped and started again once the first clone's server has gone too, it comes back on its own port
    assert embedded_pg.stop(second / "pgdata-test")
    assert embedded_pg.stop(first / "pgdata-test")
    again = embedded_pg.start_server(second / "pgdata-test", shared_default)
    assert again.started
    assert again.port == b.port == embedded_pg.remembered_port(second / "pgdata-test")


def test_make_stop_stops_every_embedded_server_of_its_clone_and_none_of_another(checkouts):
    first, second = checkouts
    # Given the first clone's `make run` and `make test` servers and the second clone's test server, all running
    run_server = embedded_pg.start_server(first / "pgdata", free_port())
    test_server = embedded_pg.start_server(first / "pgdata-test", free_port())
    other = embedded_pg.start_server(second / "pgdata-test", free_port())
    # When `make stop` runs in the first clone
    stopped = embedded_pg.stop_all(first)
    # Then both of its servers are stopped, and the second clone's still answers
    assert stopped == sorted([run_server.data_dir, test_server.data_dir])
    assert embedded_pg.running_url(first / "pgdata") is None
    assert embedded_pg.running_url(first / "pgdata-test") is None
    assert query_port(other) == other.port


def test_make_bench_stops_the_embedded_server_it_started_and_leaves_a_running_one_alone(checkouts, monkeypatch):
    first, _ = checkouts
    monkeypatch.setattr(bench, "DATA_DIR", first / "pgdata")
    # Given no embedded server running: When the bench runs, Then it has a server while it runs and none after
    with bench.bench_server() as url:
        assert embedded_pg.running_url(first / "pgdata") == url
    assert embedded_pg.running_url(first / "pgdata") is None
    # Given `make run`'s embedded server running: When the bench runs, Then that server is still up after it
    running = embedded_pg.start_server(first / "pgdata", free_port())
    with bench.bench_server() as url:
        assert url == running.url()
    assert embedded_pg.running_url(first / "pgdata") == running.url()


def _wait_until_blocked(server: embedded_pg.Server, application: str) -> None:
    # From a connection of its own: inside a transaction pg_stat_activity is a snapshot that never changes.
    observer = pg8000.native.Connection(user="postgres", host=HOST, port=server.port, database="postgres")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = observer.run(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = :app AND wait_event_type = 'Lock'",
                app=application,
            )
            if rows:
                return
            time.sleep(0.05)
    finally:
        observer.close()
    raise AssertionError(f"{application} never waited for the other transaction")


def _migrate_in_thread(url: str, **kwargs: str) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def work() -> None:
        try:
            migrate(url, **kwargs)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    return thread, failures


def test_migrating_two_databases_of_one_fresh_server_at_once_survives_both_role_races(checkouts):
    first, _ = checkouts
    # Given a fresh server (no Aurion role exists yet) with two databases, as two test workers have
    server = embedded_pg.start_server(first / "pgdata-test", free_port())
    urls = [embedded_pg.ensure_database(server.url(), name) for name in ("worker_one", "worker_two")]
    other = pg8000.native.Connection(user="postgres", host=HOST, port=server.port, database="worker_two")
    try:
        # And the other worker's migration creating the cluster-wide app role, not yet committed
        other.run("BEGIN")
        other.run(f"CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS")
        # When this worker migrates its database meanwhile, and the other commits
        thread, failures = _migrate_in_thread(urls[0])
        _wait_until_blocked(server, "aurion-migrate")
        other.run("COMMIT")
        thread.join(60)
        # Then this migration succeeds on the role the other made
        assert failures == []
        # And when the other worker sets the app role's password while this one sets the same, both succeed
        other.run("BEGIN")
        other.run(f"ALTER ROLE {APP_ROLE} LOGIN PASSWORD 'worker-password'")
        thread, failures = _migrate_in_thread(urls[1], app_password="worker-password")
        _wait_until_blocked(server, "aurion-migrate")
        other.run("COMMIT")
        thread.join(60)
        assert failures == []
    finally:
        other.close()
    # And the app role logs in with that password
    app = pg8000.native.Connection(
        user=APP_ROLE, password="worker-password", host=HOST, port=server.port, database="worker_one"
    )
    assert app.run("SELECT current_user")[0][0] == APP_ROLE
    app.close()


@pytest.fixture
def clone_beside_make_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This clone's .local: session secret, run state and embedded data directory, none running."""
    local_dir = tmp_path / ".local"
    monkeypatch.setattr(stack, "LOCAL_DIR", local_dir)
    monkeypatch.setattr(stack, "PG_DATA_DIR", local_dir / "pgdata")
    monkeypatch.setattr(stack, "RUN_STATE_FILE", local_dir / "run.json")
    monkeypatch.setattr(stack, "SESSION_SECRET_FILE", local_dir / "session_secret")
    stack.persistent_secret(stack.SESSION_SECRET_FILE)
    return local_dir


def test_make_token_works_against_the_database_make_run_serves_without_its_database_url(
    clone_beside_make_run, database, build, capsys
):
    # Given `make run` serving a database it was given through DATABASE_URL, which this shell does not have
    slug = f"token-{uuid.uuid4().hex[:8]}"
    tenant = build.tenant(slug)
    stack.write_run_state("http://127.0.0.1:3000", database.admin_url)
    # When `make -s token ROLE=tenant_admin TENANT=<slug>` runs
    token_tool.main(["--role", "tenant_admin", "--tenant", slug])
    # Then it prints only a token for that tenant, signed with the secret `make run` gives the functions
    printed = capsys.readouterr().out.strip()
    session = verify_token(stack.SESSION_SECRET_FILE.read_text(encoding="utf-8").strip(), printed)
    assert (session.tenant_id, session.role) == (str(tenant), "tenant_admin")
    # And `make seed` / `make migrate` (local.stack admin-url) target that same database
    assert stack.open_dev_database().admin_url == database.admin_url


def test_a_run_state_left_by_a_make_run_that_has_exited_is_ignored(clone_beside_make_run):
    # Given the run state of a `make run` that has since exited (another process start time for its pid)
    recorded = stack.write_run_state("http://127.0.0.1:3000", "postgresql://postgres@127.0.0.1:1/aurion")
    stack.RUN_STATE_FILE.write_text(
        stack.RUN_STATE_FILE.read_text().replace(str(recorded.process_started), str(recorded.process_started - 60))
    )
    # When a command looks for what `make run` serves, Then it finds nothing
    assert stack.read_run_state() is None
    # And `make token` says that no `make run` is serving, rather than using the stale address
    with pytest.raises(stack.StackError, match="`make run` is not running"):
        stack.open_dev_database(start_embedded=False)
