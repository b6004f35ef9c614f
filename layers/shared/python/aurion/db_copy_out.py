"""`COPY … TO STDOUT`'s rows taken from the connection's read buffer many at a time, instead of one message each.

pg8000 reads every message with two reads and two copies and calls its stream once per row: about 3 µs a row,
a third of the CPU a 1,000,000-row export spends in the worker (docs/benchmarks.md, "Exports"). Here, from the
CopyOutResponse on, the buffered reader is peeked at, every complete CopyData message in what it holds is cut
out, exactly those bytes are consumed, and the rows go to the sink as one list. The loop stops in front of the
first message that is not CopyData (CopyDone, an ErrorResponse, a notice) and leaves it unread, so pg8000's own
loop goes on as always: errors, the row count and the transaction's state stay pg8000's.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from pg8000.core import COPY_DATA, COPY_OUT_RESPONSE
from pg8000.exceptions import InterfaceError

_DATA = COPY_DATA[0]
_HEADER = 5  # the message's type byte and its length (which counts itself, not the type byte)
_LENGTH = struct.Struct("!i")


class RowsSink(Protocol):
    def write_rows(self, rows: list[bytes]) -> None:
        """The next rows, in order, each one CopyData message's bytes. Must not raise (see Transaction.copy_out)."""


class _Reader(Protocol):
    def peek(self, size: int = ..., /) -> bytes: ...

    def read(self, size: int = ..., /) -> bytes: ...


def read_rows(reader: _Reader, sink: RowsSink) -> None:
    """Every CopyData message from here on to the sink, until the next message is of another type (left unread)."""
    peek, read, length_at = reader.peek, reader.read, _LENGTH.unpack_from
    try:
        while True:
            held = peek(1)  # what the buffer holds; one read of the socket only when it holds nothing
            if not held:
                raise InterfaceError("network error")
            if held[0] != _DATA:
                return
            rows: list[bytes] = []
            size, at = len(held), 0
            while at + _HEADER <= size and held[at] == _DATA:
                length = length_at(held, at + 1)[0]
                if length < 4:  # a length that does not even count itself: the stream cannot be framed
                    raise InterfaceError("network error")
                end = at + 1 + length
                if end > size:
                    break
                rows.append(held[at + _HEADER : end])
                at = end
            if at:
                read(at)
                sink.write_rows(rows)
            else:  # a message longer than what the buffer holds (a long transcript): read it whole
                sink.write_rows([_one_message(read)])
    except OSError as exc:  # as pg8000's own reads report a broken or timed-out socket
        raise InterfaceError("network error") from exc


def _one_message(read: Callable[[int], bytes]) -> bytes:
    header = read(_HEADER)
    if len(header) < _HEADER:
        raise InterfaceError("network error")
    length: int = _LENGTH.unpack_from(header, 1)[0]
    if length < 4:  # checked before reading: read() of a negative size waits for the end of the stream
        raise InterfaceError("network error")
    body = read(length - 4)
    if len(body) != length - 4:
        raise InterfaceError("network error")
    return body


@contextmanager
def rows_in_blocks(conn: Any) -> Iterator[None]:
    """While inside, a COPY TO STDOUT run on the pg8000 connection `conn` hands its rows to its stream's
    write_rows in blocks. pg8000 dispatches each message by its type through the connection's own table, so
    the two entries of COPY's data phase are replaced for the statement and put back after it."""
    table: dict[bytes, Callable[[bytes, Any], None]] = conn.message_types
    saved = {code: table[code] for code in (COPY_OUT_RESPONSE, COPY_DATA)}

    def on_copy_out(_data: bytes, context: Any) -> None:
        if context.stream is None:
            raise InterfaceError("An output stream is required for the COPY OUT response.")
        read_rows(conn._sock, context.stream)

    def on_copy_data(data: bytes, context: Any) -> None:
        # A data message pg8000 read itself: the one after a notice in mid-stream.
        context.stream.write_rows([data])
        read_rows(conn._sock, context.stream)

    table[COPY_OUT_RESPONSE], table[COPY_DATA] = on_copy_out, on_copy_data
    try:
        yield
    finally:
        table.update(saved)
