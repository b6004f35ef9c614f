"""The PostgreSQL server of `make bench`: DATABASE_URL's, else the embedded one of `make run` (.local/pgdata).

A benchmark runs for minutes, so starting the embedded server costs it nothing: the bench stops the server it
started when it ends (as `make run` does), and leaves one that was already running (a `make run`) alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from local import embedded_pg
from local.paths import LOCAL_DIR

DATA_DIR = LOCAL_DIR / "pgdata"


@contextmanager
def bench_server() -> Iterator[str]:
    """The server's superuser URL for the duration of the benchmark."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    server = embedded_pg.start_server(DATA_DIR, embedded_pg.DEFAULT_PORT)
    try:
        yield server.url()
    finally:
        if server.started:
            print(f"stopping the embedded PostgreSQL on {DATA_DIR} (started for the benchmark)", file=sys.stderr)
            embedded_pg.stop(DATA_DIR)
