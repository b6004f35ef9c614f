"""Read ahead: the next items of an iterator computed in a thread while the caller works on the current one.

The loader's two halves take turns otherwise: Python validates a chunk while the database waits, then the
database merges it while Python waits. With the next chunk read and validated meanwhile (the thread runs while
the main one waits on its socket, which releases the GIL), a load takes about the longer of the two halves.
Items, and an exception the iterator raised, come out in order: the caller sees exactly what a plain loop sees.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()
_POLL_S = 0.5


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`items`, computed up to `depth` ahead of the caller in a daemon thread that stops when the caller does."""
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the caller, in order, as a plain loop would raise it
            put(_Raised(exc))
            return
        put(_END)

    worker = threading.Thread(target=run, name="bulk-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            value = ready.get()
            if value is _END:
                return
            if isinstance(value, _Raised):
                raise value.exc
            yield value  # type: ignore[misc]
    finally:
        # The caller stopped (done, or failed applying an item): the thread puts nothing more and ends.
        stop.set()
        worker.join(timeout=5)


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
