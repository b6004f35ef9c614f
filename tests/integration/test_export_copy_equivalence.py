"""COPY writes the row-level datasets byte for byte as the Python writers would (aurion.exports.sql_render).

Each case writes the same rows twice in one transaction: through COPY (what the worker does) and through the
typed cursor and the Python conversions and writers (the reference: aurion.exports.pii and writers). Values are
adversarial: quotes, separators, line breaks, formula starts, every script's digits and at-signs, Python-only
whitespace around emails, phone-like numbers, microseconds, half-hour and local-mean-time offsets.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurion.db import Database
from aurion.exports.datasets import DatasetContext, Deadline, ExportJob, build_datasets
from aurion.exports.options import ExportOptions
from aurion.exports.sql_render import LAST_SECONDS_OFFSET
from aurion.exports.writers.csv import write_dataset_csv
from aurion.exports.writers.json import write_json

# Characters each chosen to break one rule: CSV quoting and line ends, formula starts, JSON escapes, ASCII tests
# (accents, full-width and Arabic-Indic digits, full-width and small at-signs), Python-only whitespace.
TRICKY = "\"',;\n\r\t\\=+-@ .:/()_#0123456789éß中😀\uff10\uff15\u0663\uff20\ufe6b\xa0\u2028\u3000\x1c\x7f\x01"
text_values = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet=TRICKY, max_size=30),
    st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=12),  # PostgreSQL text holds no NUL
    # Phone-like numbers and addresses inside sentences
    st.builds(
        "{} {} {}".format,
        st.sampled_from(["Call", "=call", "tel:", "ref"]),
        st.from_regex(r"\+?[0-9][0-9 ().\-]{5,16}[0-9]", fullmatch=True),
        st.sampled_from(["", "or jane.doe@example.com", "\uff20x", "2026-03-29"]),
    ),
)
emails = st.one_of(
    st.none(), st.just(""), st.text(alphabet="ab@. \t\xa0\u3000\n", max_size=12),
    st.builds("{}@{}".format, st.text(alphabet=TRICKY, max_size=6), st.text(alphabet="ab.\xa0é", max_size=6)),
)  # fmt: skip
phones = st.one_of(st.none(), st.just(""), st.text(alphabet="+0123456789 ()-.\uff11x", max_size=16))
offsets = st.integers(min_value=-3_600_000_000, max_value=400_000_000_000)  # microseconds around created_at
BASE = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def both_ways(db: Database, tenant: uuid.UUID, fmt: str, tz: str, start: date, end: date) -> tuple[bytes, bytes]:
    """(COPY's file, the Python writers' file) of the tenant's calls and conversations."""
    options = ExportOptions(format=fmt, scope="all", include_call_details=True, include_transcripts=True,
                            include_conversations=True)  # fmt: skip
    job = ExportJob(export_id=str(uuid.uuid4()), tenant_id=str(tenant), tenant_name="T", options=options,
                    start_date=start, end_date=end, tz=tz, created_at=BASE)  # fmt: skip
    files = []
    with db.transaction(str(tenant)) as tx:
        for by_copy in (True, False):
            datasets = build_datasets(DatasetContext(tx, job, Deadline.unlimited()))
            assert all(dataset.copy is not None for dataset in datasets)
            if not by_copy:
                for dataset in datasets:
                    dataset.copy = None
            out = io.BytesIO()
            if fmt == "csv":
                for dataset in datasets:
                    write_dataset_csv(out, dataset)
            else:
                write_json(out, datasets, {"k": "v"})
            files.append(out.getvalue())
    return files[0], files[1]


@pytest.fixture
def db(app_env) -> Any:
    database = Database(app_env.database.app_url, statement_timeout_ms=20_000, connect_timeout_s=5)
    yield database
    database.close()


def add_rows(build: Any, tenant: uuid.UUID, subject: str | None, email: str | None, phone: str | None,
             transcript: str | None, offset_us: int, escalated: bool | None) -> None:  # fmt: skip
    contact = build.insert("contacts", id=uuid.uuid4(), tenant_id=tenant, name="C", email=email, phone=phone)
    created = BASE + timedelta(microseconds=offset_us % 997_000_000)
    answered = created + timedelta(microseconds=offset_us)
    conversation = build.conversation(
        tenant, created, subject=subject or "", contact_id=contact, first_response_at=answered,
        resolved_at=answered + timedelta(minutes=7), resolved_by="human", escalated=escalated is True, topic=subject,
    )  # fmt: skip
    build.csat(tenant, conversation, created, responded_at=created + timedelta(hours=1), rating=4)
    build.call(
        tenant, created, phone_number=phone or "", transcript=transcript, category=subject,
        first_call_resolution=escalated is not False, resolution_seconds=None if escalated is None else 9,
    )  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subject=text_values, email=emails, phone=phones, transcript=text_values, offset_us=offsets,
    escalated=st.sampled_from([None, True, False]), fmt=st.sampled_from(["csv", "json"]),
    tz=st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]),
)  # fmt: skip
def test_copy_writes_what_the_python_writers_write_for_any_value(db, build, subject, email, phone, transcript,
                                                                 offset_us, escalated, fmt, tz):  # fmt: skip
    # Given a tenant whose one conversation and one call hold adversarial text, times and numbers
    tenant = build.tenant()
    add_rows(build, tenant, subject, email, phone, transcript, offset_us, escalated)
    # When both paths write the export
    by_copy, by_python = both_ways(db, tenant, fmt, tz, date(2026, 3, 1), date(2026, 3, 31))
    # Then the files are the same bytes
    assert by_copy == by_python


def test_local_mean_time_offsets_keep_their_seconds(db, build):
    # Given a conversation of 1960 in Monrovia (UTC-00:44:30 then)
    tenant = build.tenant()
    build.conversation(tenant, datetime(1960, 6, 1, 12, 0, tzinfo=UTC), subject="old")
    # When both paths write it
    by_copy, by_python = both_ways(db, tenant, "csv", "Africa/Monrovia", date(1960, 5, 1), date(1960, 6, 30))
    # Then the offset has its seconds, as Python writes it, and the files agree
    assert b"1960-06-01T11:15:30-00:44:30" in by_copy
    assert by_copy == by_python


def test_many_rows_cross_chunks_with_flagged_rows_in_between(db, build):
    # Given 4,500 conversations (more than two COPY chunks), every 7th with a number in its subject
    tenant = build.tenant()
    build.conn.run(
        "INSERT INTO conversations (id, tenant_id, channel, priority, status, subject, created_at) "
        "SELECT gen_random_uuid(), CAST(:t AS uuid), 'chat', 'low', 'open', "
        "CASE WHEN n % 7 = 0 THEN 'call 0612345' || lpad(n::text, 3, '0') ELSE 'row, \"' || n END, "
        "timestamptz '2026-03-02 00:00+00' + n * interval '1 second' FROM generate_series(1, 4500) n",
        t=tenant,
    )
    for fmt in ("csv", "json"):
        # When both paths write the export
        by_copy, by_python = both_ways(db, tenant, fmt, "UTC", date(2026, 3, 1), date(2026, 3, 31))
        # Then they agree, every row is there and no number is left
        assert by_copy == by_python
        assert by_copy.count(b"***-***-") == 4500 // 7
        assert b"0612345" not in by_copy


def test_no_zone_has_an_offset_with_seconds_after_the_cutoff_local_iso_relies_on(db):
    # Given PostgreSQL's own time zone data every 6 days from the cutoff to 2040 (an offset with seconds is local
    # mean time, which lasted years, never days)
    with db.transaction(None) as tx:
        rows = tx.all(
            "SELECT z.name FROM pg_timezone_names z, generate_series(CAST(:cutoff AS timestamptz), '2040-01-01', "
            "'6 days') d WHERE z.name NOT LIKE 'posix/%' "
            "AND extract(second FROM (d AT TIME ZONE z.name) - (d AT TIME ZONE 'UTC')) <> 0 LIMIT 1",
            cutoff=LAST_SECONDS_OFFSET,
        )
    # Then no instant after it has seconds in its offset (sql_render.local_iso skips the look-up there)
    assert rows == []
