"""PostgreSQL access: one lazily opened connection per execution environment, tenant transactions.

A Lambda execution environment serves one request at a time, so one connection is enough and is
reused across warm invocations. A socket that died while the environment was frozen is detected
when the next transaction begins and replaced once; errors after work has started are never retried.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar, cast

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from aurion.db_copy_out import rows_in_blocks
from aurion.db_socket import open_connection
from aurion.db_url import connect_params
from aurion.errors import ServiceUnavailable
from aurion.logs import logger
from aurion.pg_errors import sqlstate
from aurion.settings import get_settings
from aurion.tracing import sql_subsegment

# SQLSTATEs that mean "try again shortly" rather than "your request is wrong".
_TRANSIENT_SQLSTATES = {
    "57014",  # query_canceled: statement_timeout
    "57P01",  # admin_shutdown
    "57P03",  # cannot_connect_now
    "53300",  # too_many_connections
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
}


T = TypeVar("T")
_CANCEL_REQUEST_CODE = 80877102  # the protocol's CancelRequest (1234 << 16 | 5678)


class Transaction:
    """The queries of one request, inside one transaction that has the tenant set."""

    def __init__(self, conn: pg8000.native.Connection) -> None:
        self._conn = conn
        self._remembered: dict[str, Any] = {}

    def remembered(self, key: str, compute: Callable[[], T]) -> T:
        """compute() once per transaction: every block of a request then sees the same value."""
        if key not in self._remembered:
            self._remembered[key] = compute()
        return cast(T, self._remembered[key])

    def _run(self, sql: str, params: dict[str, Any]) -> Any:
        with sql_subsegment(sql):
            return self._conn.run(sql, **params)

    def all(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        rows = self._run(sql, params)
        names = [column["name"] for column in (self._conn.columns or [])]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def one(self, sql: str, **params: Any) -> dict[str, Any] | None:
        rows = self.all(sql, **params)
        return rows[0] if rows else None

    def value(self, sql: str, **params: Any) -> Any:
        rows = self._run(sql, params)
        return rows[0][0] if rows else None

    def execute(self, sql: str, **params: Any) -> int:
        self._run(sql, params)
        return int(self._conn.row_count or 0)

    def copy_out(self, sql: str, sink: Any, *, timeout_s: float | None) -> None:
        """`COPY ... TO STDOUT` (no bind parameters: PostgreSQL takes none in COPY) into sink.write_rows, called
        with the next rows' bytes, a block of them at a time (aurion.db_copy_out: the protocol sends one CopyData
        message per row). sink.write_rows must not raise: the read would stop mid-stream and the connection could
        not even roll back.

        The socket waits up to timeout_s (None: no limit) instead of the query timeout: a COPY that sorts its
        rows first sends nothing for longer than any single query may take."""
        sock = getattr(self._conn, "_usock", None)  # pg8000's socket (the TLS one when encrypted)
        before = sock.gettimeout() if sock is not None else None
        if sock is not None:
            sock.settimeout(timeout_s)
        try:
            with sql_subsegment(sql), rows_in_blocks(self._conn):
                self._conn.run(sql, stream=sink)
        finally:
            if sock is not None:
                sock.settimeout(before)

    def cancel_running_statement(self) -> None:
        """Ask the server to cancel this connection's running statement (a CancelRequest on a socket of its own, as
        the protocol has it), so a COPY whose rows are no longer wanted stops instead of streaming to its end. Best
        effort: the statement then fails with query_canceled, or ends on its own."""
        key = self._conn._backend_key_data
        sock = getattr(self._conn, "_usock", None)
        if key is None or sock is None:
            return
        host, port = sock.getpeername()[:2]
        try:
            with socket.create_connection((host, port), timeout=5) as cancel:
                cancel.sendall(struct.pack("!ii", 16, _CANCEL_REQUEST_CODE) + key)
        except OSError as exc:
            logger.warning("could not send the cancel request", extra={"error_type": type(exc).__name__})

    def server_setting(self, name: str) -> str | None:
        """A setting the server reported at connection time (server_encoding, standard_conforming_strings)."""
        value: str | None = self._conn.parameter_statuses.get(name)
        return value


class Database:
    def __init__(self, url: str, *, statement_timeout_ms: int, connect_timeout_s: float) -> None:
        self._params = connect_params(url)
        self._statement_timeout_ms = statement_timeout_ms
        self._connect_timeout_s = connect_timeout_s
        self._conn: pg8000.native.Connection | None = None

    def _startup_params(self) -> dict[str, str]:
        return {
            "statement_timeout": str(self._statement_timeout_ms),
            # SSD-backed storage (RDS, Aurora) with a hot cache: at the default 4 the planner prefers hashing a whole
            # fact table to a few thousand primary-key probes (CSAT -> conversations), 4x slower on the benchmark
            # tenant. 1.1 is AWS's recommendation for SSD volumes.
            "random_page_cost": "1.1",
            # Grouping and sorting ~100,000 rows per block: at the default 4MB the breakdown's grouping sets and the
            # medians' sorts spill to disk (measured: 2x slower on the benchmark tenant).
            "work_mem": "32MB",
        }

    def _open(self) -> pg8000.native.Connection:
        try:
            conn: pg8000.native.Connection = open_connection(
                pg8000.native.Connection,
                {**self._params, "application_name": "aurion-analytics", "startup_params": self._startup_params()},
                connect_timeout_s=self._connect_timeout_s,
                # Let queries run up to statement_timeout (plus slack) before the socket gives up.
                query_timeout_s=self._statement_timeout_ms / 1000 + 5,
            )
        except (InterfaceError, DatabaseError, OSError) as exc:
            logger.error("database unreachable", extra={"error_type": type(exc).__name__})
            raise ServiceUnavailable("Database unavailable, retry shortly") from exc
        return conn

    def close(self) -> None:
        if self._conn is not None:
            with suppress(InterfaceError, OSError):
                self._conn.close()
            self._conn = None

    def _begin(self) -> pg8000.native.Connection:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._open()
            try:
                self._conn.run("BEGIN")
                return self._conn
            except (TimeoutError, InterfaceError, OSError):
                # The socket died while the environment was frozen: reconnect once, nothing was done yet.
                self.close()
                if attempt == 2:
                    raise ServiceUnavailable("Database unavailable, retry shortly") from None
        raise AssertionError("unreachable")

    @contextmanager
    def transaction(self, tenant_id: str | None) -> Iterator[Transaction]:
        """One transaction; with a tenant_id, row-level security shows only that tenant's rows."""
        conn = self._begin()
        try:
            if tenant_id is not None:
                conn.run("SELECT set_config('app.tenant_id', :tenant_id, true)", tenant_id=tenant_id)
            yield Transaction(conn)
            conn.run("COMMIT")
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, DatabaseError) and sqlstate(exc) in _TRANSIENT_SQLSTATES:
                logger.warning("transient database error", extra={"sqlstate": sqlstate(exc)})
                raise ServiceUnavailable("Database busy or timed out, retry shortly") from exc
            if isinstance(exc, (InterfaceError, OSError)):
                self.close()
                raise ServiceUnavailable("Database connection lost, retry shortly") from exc
            raise

    def _rollback(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.run("ROLLBACK")
        except (InterfaceError, DatabaseError, OSError):
            self.close()


_database: Database | None = None


def get_database() -> Database:
    """The execution environment's database, created on first use (not at import: cold start stays cheap)."""
    global _database
    if _database is None:
        settings = get_settings()
        _database = Database(
            settings.db_url.get_secret_value(),
            statement_timeout_ms=settings.db_statement_timeout_ms,
            connect_timeout_s=settings.db_connect_timeout_s,
        )
    return _database


def reset_database() -> None:
    """Forget the cached database (tests switch settings between cases)."""
    global _database
    if _database is not None:
        _database.close()
    _database = None
