"""The loader's hold on the cyclic collector: off while a file loads, yet cycles made meanwhile do not pile up."""

from __future__ import annotations

import gc
import weakref

from aurion.ingest.bulk_gc import collector_held_off


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: reference counting alone never frees it


def test_cycles_made_during_a_load_are_collected_every_few_chunks_and_at_its_end():
    was = gc.isenabled()
    gc.enable()
    try:
        # Given the collector held off for a load that collects every 3 chunks
        with collector_held_off(every_chunks=3) as chunk_done:
            assert not gc.isenabled()
            # When a cycle is made and 2 chunks are done, Then it is still there (nothing collected it)
            first = weakref.ref(Node())
            chunk_done()
            chunk_done()
            assert first() is not None
            # And when the third chunk is done, it is gone
            chunk_done()
            assert first() is None
            # And a cycle made after the last collection goes when the load ends
            last = weakref.ref(Node())
        assert last() is None
        # And the collector is on again, as it was
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
