"""aurion.db_copy_out's framing of CopyData messages, on bytes as a broken or hostile server could send them."""

from __future__ import annotations

import io
import struct

import pytest
from pg8000.exceptions import InterfaceError

from aurion.db_copy_out import read_rows


class Rows:
    def __init__(self) -> None:
        self.rows: list[bytes] = []

    def write_rows(self, rows: list[bytes]) -> None:
        self.rows += rows


def message(body: bytes, length: int | None = None) -> bytes:
    return b"d" + struct.pack("!i", len(body) + 4 if length is None else length) + body


def reader(data: bytes, buffer_size: int = 16) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data), buffer_size=buffer_size)


def test_rows_longer_than_the_buffer_arrive_whole_and_the_next_message_is_left_unread():
    # Given two rows, one longer than the reader's buffer, then CopyDone
    stream = reader(message(b"short") + message(b"x" * 100) + b"c" + struct.pack("!i", 4))
    sink = Rows()
    # When the rows are read
    read_rows(stream, sink)
    # Then both arrive whole and in order, and CopyDone is still there for the driver
    assert sink.rows == [b"short", b"x" * 100]
    assert stream.read(1) == b"c"


@pytest.mark.parametrize("length", [3, 0, -8])
def test_a_message_whose_length_cannot_be_is_a_network_error_not_a_wait(length):
    # Given a CopyData header (after a first row that fills the buffer) whose length is below its own 4 bytes
    stream = reader(message(b"y" * 20) + message(b"", length=length) + b"more bytes the server never ends")
    # When the rows are read, Then it fails at once instead of reading to the end of the stream
    with pytest.raises(InterfaceError, match="network error"):
        read_rows(stream, Rows())
