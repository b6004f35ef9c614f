"""Every output that carries free text redacts it: the CSAT drilldown's answers and each export format.

Generated texts (tests/support/pii_shapes.py: numbers of every region in many shapes, Unicode and IDN emails) are
planted where people type: a call's transcript, a conversation's subject, a survey's comment and follow-up
answer. Each example reads them back through the API and through a csv, json, xlsx and pdf export with
transcripts and conversations, and looks for what survived, field by field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from aurion.redaction import digits_of
from tests.support.api import caller_for, get
from tests.support.builders import at
from tests.support.exports import pdf_text, unzip
from tests.support.pii_shapes import OUTPUT_SETTINGS, Plants, free_texts, leaks

# The fixtures exports and frozen_clock (2026-03-09 12:00 UTC): tests/integration/conftest.py.
CSAT_RESPONSES = "/api/v2/analytics/conversations/csat/responses?date_from=2026-03-01&date_to=2026-03-08&limit=100"
TEXT_COLUMNS = ("transcript_redacted", "subject_redacted")


def _plant(build, tenant, plants: list[Plants]) -> None:
    transcript, subject, comment, answer = (plants[i % len(plants)].text for i in range(4))
    build.call(tenant, at("2026-03-02 09:15"), transcript=transcript)
    conversation = build.conversation(tenant, at("2026-03-03 10:00"), subject=subject)
    build.csat(
        tenant, conversation, at("2026-03-03 12:30"), responded_at=at("2026-03-03 13:00"), rating=4,
        comment=comment, followup_answer=answer,
    )  # fmt: skip


def _cells(fmt: str, data: bytes) -> list[str]:
    """The free-text values of an export file."""
    if fmt == "csv":
        files = unzip(data).values() if data[:2] == b"PK" else [data]
        rows = [row for content in files for row in csv.DictReader(io.StringIO(content.decode("utf-8")))]
        return [row[name] for row in rows for name in TEXT_COLUMNS if row.get(name)]
    if fmt == "json":
        document = json.loads(data)
        rows = [row for value in document.values() if isinstance(value, list) for row in value]
        return [row[name] for row in rows if isinstance(row, dict) for name in TEXT_COLUMNS if row.get(name)]
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = []
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header = [str(name) for name in next(rows, ())]
        wanted = [index for index, name in enumerate(header) if name in TEXT_COLUMNS]
        cells += [str(row[index]) for row in rows for index in wanted if row[index]]
    return cells


def _pdf_leaks(data: bytes, plants: list[Plants]) -> list[str]:
    # A PDF is laid out text: look for the digits before a number's last 4 anywhere on a line, run together.
    lines = [re.sub(r"\*\*\*-\*\*\*-\d{4}", "#", line) for line in pdf_text(data).splitlines()]
    found = []
    for plant in plants:
        for digits in plant.numbers:
            if len(digits) >= 10 and any(digits[:-4] in digits_of(line) for line in lines):
                found.append(f"number {digits}")
        found += [f"email {local}" for local, _ in plant.emails if any(local in line for line in lines)]
    return found


def _any_leak(text: str, plants: list[Plants]) -> list[str]:
    return [found for plant in plants for found in leaks(text, plant, masked_here=False)]


@OUTPUT_SETTINGS
@given(plants=st.lists(free_texts(), min_size=1, max_size=4))
def test_no_planted_number_or_email_survives_in_the_csat_answers_or_any_export_format(
    exports, build, frozen_clock, functions, plants
):
    # Given a tenant (a new one per example, so each export holds this example's texts only) whose transcripts,
    # subjects, comments and follow-up answers hold generated personal data
    exports = replace(exports, tenant=build.tenant())
    _plant(build, exports.tenant, plants)
    # When an API key's role reads the CSAT responses
    answer = get(functions("conversation_analytics"), CSAT_RESPONSES, caller_for(exports.tenant, "tenant_readonly"))
    assert answer.status == 200, answer.body
    texts = [item[name] or "" for item in answer.body["items"] for name in ("comment", "followup_answer")]
    texts += [item["conversation_subject"] or "" for item in answer.body["items"]]
    # Then no text of the answer holds any of it
    assert [leak for text in texts for leak in _any_leak(text, plants)] == []
    # And neither does any export with transcripts and conversations, in any format
    for fmt in ("csv", "json", "xlsx"):
        _item, data = exports.produce(scope="all", format=fmt, include_transcripts=True, include_conversations=True)
        cells = _cells(fmt, data)
        assert cells, fmt  # the texts were exported, redacted, not left out
        assert [leak for cell in cells for leak in _any_leak(cell, plants)] == [], fmt
    _item, data = exports.produce(scope="all", format="pdf", include_transcripts=True, include_conversations=True)
    assert _pdf_leaks(data, plants) == []


def test_the_csat_drilldown_shows_comments_answers_and_subjects_redacted(build, functions, app_env, frozen_clock):
    # Given a survey whose comment, follow-up answer and conversation subject hold a number and an email
    tenant = build.tenant()
    conversation = build.conversation(tenant, at("2026-03-03 10:00"), subject="Refund for bob@example.net")
    build.csat(
        tenant, conversation, at("2026-03-03 12:30"), responded_at=at("2026-03-03 13:00"), rating=2,
        comment="Call me on 06  12  34  56  78", followup_answer="jürgen@müller.de or 555\u2013123\u20134504",
    )  # fmt: skip
    # When any read role asks for the drilldown
    answer = get(functions("conversation_analytics"), CSAT_RESPONSES, caller_for(tenant, "agent"))
    # Then each free-text field is redacted as an export would redact it
    item = answer.body["items"][0]
    assert (item["comment"], item["followup_answer"], item["conversation_subject"]) == (
        "Call me on ***-***-5678",
        "j***@müller.de or ***-***-4504",
        "Refund for b***@example.net",
    )
