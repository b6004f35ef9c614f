"""Writing a large hand-built data set in one transaction: one commit (one WAL flush) instead of one per row.

The random rollup tests write thousands of rows; committed one by one they spend most of their time waiting
for the disk, the more so when other test runs share the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pg8000.native


@contextmanager
def one_transaction(conn: pg8000.native.Connection) -> Iterator[None]:
    conn.run("BEGIN")
    try:
        yield
    except BaseException:
        conn.run("ROLLBACK")
        raise
    conn.run("COMMIT")
