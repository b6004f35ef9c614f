"""Reading an import file (aurion/ingest/bulk_lines.py): lines streamed in blocks, gzip by its magic bytes, and
the batch validation naming each wrong line."""

from __future__ import annotations

import gzip
import io
import json
import uuid

from aurion.ingest import bulk_lines
from aurion.ingest.bulk_lines import Bad, Good, lines, validate
from tests.support.ingest_events import HelpdeskEvents


def test_lines_cut_across_blocks_come_out_whole_and_the_last_line_needs_no_newline(monkeypatch):
    # Given blocks of 7 bytes, smaller than every line, and a file without a final newline
    monkeypatch.setattr(bulk_lines, "_BLOCK", 7)
    body = b"first line\nsecond, longer line\r\n\nlast"
    # When it is read, then each line is whole, blank ones kept (they count in line numbers), \r left to JSON
    assert list(lines(io.BytesIO(body))) == [b"first line", b"second, longer line\r", b"", b"last"]


def test_a_gzip_file_is_read_decompressed_whatever_its_name_and_a_plain_one_as_it_is():
    plain = b'{"a": 1}\n{"b": 2}\n'
    assert list(lines(io.BytesIO(gzip.compress(plain)))) == [b'{"a": 1}', b'{"b": 2}']
    assert list(lines(io.BytesIO(plain))) == [b'{"a": 1}', b'{"b": 2}']


def test_a_batch_with_one_wrong_line_names_it_and_keeps_the_others():
    # Given three lines of a tenant, the second with an unknown field
    tenant = str(uuid.uuid4())
    events = HelpdeskEvents(tenant)
    wrong = events.team()
    wrong["data"]["colour"] = "red"
    numbered = [(1, json.dumps(events.team()).encode()), (2, json.dumps(wrong).encode()), (3, b"  ")]
    numbered.append((4, json.dumps(events.team()).encode()))
    # When the batch is validated
    checked = validate(numbered, tenant)
    # Then lines 1 and 4 are good, line 2 is named with the field at fault, the blank line 3 is skipped
    assert [(type(item).__name__, item.line) for item in checked] == [("Good", 1), ("Bad", 2), ("Good", 4)]
    bad = checked[1]
    assert isinstance(bad, Bad)
    assert bad.reason == "data.colour: Extra inputs are not permitted"
    assert all(isinstance(item, Good) for item in validate([numbered[0], numbered[3]], tenant))


def test_a_batch_of_mixed_types_ends_exactly_as_each_line_validated_alone():
    # Given a mix of types, in any key order, with wrong lines among them: a "type" key inside data before the
    # envelope's, a type no model has, no type at all, and a team whose envelope says user.v1
    tenant = str(uuid.uuid4())
    events = HelpdeskEvents(tenant)
    team, conversation = events.team(), events.conversation()
    other = events.team()
    data_first = {"data": {"type": "user.v1", **other["data"]}, **{k: v for k, v in other.items() if k != "data"}}
    shuffled = dict(reversed(list(events.csat(conversation["data"]["id"]).items())))
    disguised = {**events.team(), "type": "user.v1"}
    unknown = {**events.team(), "type": "team.v9"}
    untyped = {k: v for k, v in events.team().items() if k != "type"}
    lines_ = [team, conversation, data_first, shuffled, disguised, unknown, untyped, events.user()]
    numbered = [(n, json.dumps(event).encode()) for n, event in enumerate(lines_, start=1)]
    # When the batch is validated, and each line alone (the union of every type, as the live path does)
    together = validate(numbered, tenant)
    alone = [bulk_lines._check_one(n, raw, tenant) for n, raw in numbered]
    # Then both say the same of every line: the good ones are the same events, the bad ones the same reasons
    assert [type(item).__name__ for item in together] == ["Good", "Good", "Bad", "Good", "Bad", "Bad", "Bad", "Good"]
    assert together == alone
