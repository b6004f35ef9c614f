"""COPY TO STDOUT read in blocks (aurion.db_copy_out): every row once, in order, whatever its length and whatever
else the server says in mid-stream; an error mid-stream is the statement's, and the connection lives on."""

from __future__ import annotations

from typing import Any

import pytest
from pg8000.exceptions import DatabaseError

from aurion.db import Database
from aurion.pg_errors import sqlstate


class Collect:
    def __init__(self) -> None:
        self.rows: list[bytes] = []
        self.blocks = 0

    def write_rows(self, rows: list[bytes]) -> None:
        self.blocks += 1
        self.rows += rows


@pytest.fixture
def db(app_env) -> Any:
    database = Database(app_env.database.app_url, statement_timeout_ms=20_000, connect_timeout_s=5)
    yield database
    database.close()


def _letter(i: int) -> str:
    return chr(97 + i % 26)


# Lengths from empty to well past the connection's 8 KiB read buffer, in an order that puts message boundaries
# everywhere in it.
_LENGTH_SQL = "(i * 7919) % 20000"


def test_every_row_arrives_once_and_in_order_whatever_its_length(db):
    # Given rows from empty to 20,000 bytes long
    sql = f"COPY (SELECT i, repeat(chr(97 + i % 26), {_LENGTH_SQL}) FROM generate_series(1, 600) i) TO STDOUT"
    sink = Collect()
    # When they are copied out
    with db.transaction(None) as tx:
        tx.copy_out(sql, sink, timeout_s=30)
    # Then each row is its own message's bytes, exactly, in the query's order
    assert sink.rows == [f"{i}\t{_letter(i) * ((i * 7919) % 20000)}\n".encode() for i in range(1, 601)]
    # And short rows came many to a block
    short = [f"{i}\n".encode() for i in range(1, 5001)]
    sink = Collect()
    with db.transaction(None) as tx:
        tx.copy_out("COPY (SELECT i FROM generate_series(1, 5000) i) TO STDOUT", sink, timeout_s=30)
    assert sink.rows == short
    assert sink.blocks < len(short) / 10


def test_notices_in_mid_stream_lose_no_row(db):
    # Given a query that raises a notice every 50 rows, between its rows on the wire
    with db.transaction(None) as tx:
        tx.execute(
            "CREATE FUNCTION pg_temp.noisy(i int) RETURNS int LANGUAGE plpgsql AS "
            "$$ BEGIN IF i % 50 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$"
        )
        sink = Collect()
        # When it is copied out
        tx.copy_out("COPY (SELECT pg_temp.noisy(i) FROM generate_series(1, 2000) i) TO STDOUT", sink, timeout_s=30)
    # Then every row arrived, once, in order
    assert sink.rows == [f"{i}\n".encode() for i in range(1, 2001)]


def test_an_error_in_mid_stream_is_the_statements_and_the_connection_lives_on(db):
    # Given a query that fails at its 3,000th row, after many blocks of rows
    sink = Collect()
    sql = "COPY (SELECT i, 1 / (3000 - i) FROM generate_series(1, 5000) i) TO STDOUT"
    # When it is copied out, Then the statement's own error is raised
    with pytest.raises(DatabaseError) as raised, db.transaction(None) as tx:
        tx.copy_out(sql, sink, timeout_s=30)
    assert sqlstate(raised.value) == "22012"
    # And what arrived before it is rows of the query, in order
    assert sink.rows == [f"{i}\t{1 // (3000 - i)}\n".encode() for i in range(1, len(sink.rows) + 1)]
    # And the same connection answers the next queries, COPY or not
    with db.transaction(None) as tx:
        assert tx.value("SELECT 41 + 1") == 42
        again = Collect()
        tx.copy_out("COPY (SELECT 'a' UNION ALL SELECT 'b') TO STDOUT", again, timeout_s=30)
    assert again.rows == [b"a\n", b"b\n"]
