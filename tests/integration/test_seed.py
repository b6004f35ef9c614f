"""The synthetic data generator (local.seed): deterministic, inside its window, consistent, fast enough.

Runs as the owner of the session's test database (the generator disables FK triggers, which needs a superuser).
Tenants are created under slugs starting with "seed-test" and deleted at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pg8000.native
import pytest

from aurion.db import connect_params
from local.seed import TenantExists, TenantSpec, delete_tenant, seed_tenant
from local.seed.generator import TABLES, connect
from local.seed.helpers import helper_ddl

END = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SPEC = TenantSpec(
    slug="seed-test",
    conversations=2_000,
    calls=400,
    days=30,
    seed=7,
    plan="professional",
    products=("voice", "helpdesk", "knowledge_base"),
    end=END,
    replace=True,
)
# Every event timestamp the generator writes (due dates are targets, which may lie in the future).
EVENT_TIMES = {
    "tenants": ["created_at"],
    "teams": ["created_at"],
    "users": ["created_at"],
    "contacts": ["created_at", "email_bounced_at", "email_complained_at"],
    "email_channels": ["created_at"],
    "help_center_articles": ["created_at", "published_at"],
    "conversations": ["created_at", "first_response_at", "resolved_at", "updated_at"],
    "csat_surveys": ["sent_at", "responded_at", "updated_at"],
    "article_views": ["viewed_at", "updated_at"],
    "article_feedback": ["created_at", "updated_at"],
    "email_messages": ["sent_at", "updated_at"],
    "calls": ["started_at", "ended_at", "updated_at"],
    "llm_usage": ["requested_at", "updated_at"],
}


@pytest.fixture(scope="module")
def seed_db(database) -> str:
    return database.admin_url


@pytest.fixture(scope="module")
def owner(seed_db: str) -> Iterator[pg8000.native.Connection]:
    conn = pg8000.native.Connection(**connect_params(seed_db))
    yield conn
    slugs = [row[0] for row in conn.run("SELECT slug FROM tenants WHERE slug LIKE 'seed-test%'")]
    conn.close()
    for slug in slugs:
        delete_tenant(seed_db, slug)


def tenant_id(conn: pg8000.native.Connection, slug: str) -> str:
    return conn.run("SELECT id::text FROM tenants WHERE slug = :slug", slug=slug)[0][0]


def checksums(conn: pg8000.native.Connection, slug: str) -> dict[str, str]:
    """md5 of every row (all columns, ids included) of the tenant, per table."""
    tid = tenant_id(conn, slug)
    sums = {}
    for table in TABLES:
        column = "id" if table == "tenants" else "tenant_id"
        sums[table] = conn.run(
            f"SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM {table} t WHERE {column} = CAST(:t AS uuid)",
            t=tid,
        )[0][0]
    return sums


def test_the_same_seed_recreates_byte_identical_rows(owner, seed_db):
    first_counts = seed_tenant(seed_db, SPEC)
    first = checksums(owner, SPEC.slug)

    again_counts = seed_tenant(seed_db, SPEC)  # --replace: deleted, then generated anew

    assert again_counts == first_counts
    assert checksums(owner, SPEC.slug) == first
    assert all(first.values()), "every table has rows"
    assert first_counts["conversations"] == SPEC.conversations
    assert first_counts["calls"] == SPEC.calls


def test_another_seed_gives_other_data(owner, seed_db):
    seed_tenant(seed_db, SPEC)
    other = replace(SPEC, slug="seed-test-other", seed=SPEC.seed + 1)
    seed_tenant(seed_db, other)

    def shape(slug: str) -> str:
        # Content only (no ids, no tenant): what the conversations are, in time order.
        return owner.run(
            "SELECT md5(string_agg(concat_ws('|', created_at, channel, priority, topic, status), ',' "
            "ORDER BY created_at)) FROM conversations WHERE tenant_id = CAST(:t AS uuid)",
            t=tenant_id(owner, slug),
        )[0][0]

    assert tenant_id(owner, SPEC.slug) != tenant_id(owner, other.slug)
    assert shape(SPEC.slug) != shape(other.slug)
    sums, other_sums = checksums(owner, SPEC.slug), checksums(owner, other.slug)
    assert all(sums[table] != other_sums[table] for table in TABLES)


def test_every_timestamp_lies_in_the_window(owner, seed_db):
    seed_tenant(seed_db, SPEC)
    tid = tenant_id(owner, SPEC.slug)
    outside = {}
    for table, columns in EVENT_TIMES.items():
        tenant_column = "id" if table == "tenants" else "tenant_id"
        for column in columns:
            count = owner.run(
                f"SELECT count(*) FROM {table} WHERE {tenant_column} = CAST(:t AS uuid) "
                f"AND ({column} < CAST(:start AS timestamptz) OR {column} > CAST(:end AS timestamptz))",
                t=tid,
                start=SPEC.start,
                end=SPEC.end,
            )[0][0]
            if count:
                outside[f"{table}.{column}"] = count
    assert outside == {}


# Rules the schema cannot state (its CHECK constraints held, or the inserts would have failed): each query
# counts the tenant's rows that break the rule.
CONSISTENCY_RULES = {
    "conversation timeline and status": """
        SELECT count(*) FROM conversations WHERE tenant_id = CAST(:t AS uuid)
        AND (first_response_at < created_at OR resolved_at < first_response_at OR updated_at < created_at
             OR (resolved_at IS NOT NULL) <> (status IN ('resolved', 'closed')))""",
    "assignee in the conversation's team": """
        SELECT count(*) FROM conversations c JOIN users u ON u.id = c.assignee_user_id
        WHERE c.tenant_id = CAST(:t AS uuid) AND c.team_id IS DISTINCT FROM u.team_id""",
    "email channel exactly on email conversations": """
        SELECT count(*) FROM conversations WHERE tenant_id = CAST(:t AS uuid)
        AND (channel = 'email') <> (email_channel_id IS NOT NULL)""",
    "survey after resolution; a response has a rating or a comment, an unanswered survey neither": """
        SELECT count(*) FROM csat_surveys s JOIN conversations c ON c.id = s.conversation_id
        WHERE s.tenant_id = CAST(:t AS uuid)
        AND (s.sent_at < c.resolved_at OR s.channel <> c.channel OR s.responded_at < s.sent_at
             OR (s.responded_at IS NULL) <> (s.rating IS NULL AND s.comment IS NULL)
             OR (s.responded_at IS NULL AND s.followup_answer IS NOT NULL))""",
    "view within 24 hours before the conversation it led to": """
        SELECT count(*) FROM article_views v JOIN conversations c ON c.id = v.led_to_conversation_id
        WHERE v.tenant_id = CAST(:t AS uuid)
        AND (v.viewed_at > c.created_at OR v.viewed_at < c.created_at - interval '24 hours')""",
    "call duration, status and outcome, E.164 number": """
        SELECT count(*) FROM calls WHERE tenant_id = CAST(:t AS uuid)
        AND (ended_at <> started_at + duration_seconds * interval '1 second'
             OR (status = 'failed') <> (outcome IN ('abandoned', 'voicemail'))
             OR (first_call_resolution AND outcome <> 'resolved')
             OR phone_number !~ '^\\+[1-9][0-9]{7,14}$')""",
    "email messages after their conversation opened, on its channel": """
        SELECT count(*) FROM email_messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.tenant_id = CAST(:t AS uuid)
        AND (m.sent_at < c.created_at OR m.email_channel_id <> c.email_channel_id)""",
    "LLM requests of a call made during it": """
        SELECT count(*) FROM llm_usage l JOIN calls c ON c.id = l.call_id
        WHERE l.tenant_id = CAST(:t AS uuid) AND (l.requested_at < c.started_at OR l.requested_at > c.ended_at)""",
}


def test_rows_are_consistent_with_each_other(owner, seed_db):
    seed_tenant(seed_db, SPEC)
    tid = tenant_id(owner, SPEC.slug)
    broken = {rule: owner.run(sql, t=tid)[0][0] for rule, sql in CONSISTENCY_RULES.items()}
    assert {rule: n for rule, n in broken.items() if n} == {}


def test_transcripts_carry_the_phone_numbers_and_emails_exports_must_redact(owner, seed_db):
    seed_tenant(seed_db, SPEC)
    transcripts = [
        row[0]
        for row in owner.run(
            "SELECT transcript FROM calls WHERE tenant_id = CAST(:t AS uuid) AND transcript IS NOT NULL",
            t=tenant_id(owner, SPEC.slug),
        )
    ]
    with_phone = [t for t in transcripts if re.search(r"\+\d[\d ()-]{7,}\d", t)]
    with_email = [t for t in transcripts if re.search(r"[a-z]+\.[a-z]+\d*@[a-z.]+\.[a-z]+", t)]
    assert len(with_phone) > len(transcripts) / 2
    assert len(with_email) > len(transcripts) / 2


def test_products_decide_what_is_generated(owner, seed_db):
    helpdesk_only = replace(SPEC, slug="seed-test-helpdesk", plan="starter", products=("helpdesk",), calls=0)
    counts = seed_tenant(seed_db, helpdesk_only)
    assert counts["conversations"] == helpdesk_only.conversations
    assert counts["calls"] == counts["help_center_articles"] == counts["article_views"] == 0
    voice_conversations = owner.run(
        "SELECT count(*) FROM conversations WHERE tenant_id = CAST(:t AS uuid) AND channel = 'voice'",
        t=tenant_id(owner, helpdesk_only.slug),
    )[0][0]
    assert voice_conversations == 0


def test_an_existing_tenant_is_kept_unless_replace_is_asked(owner, seed_db):
    seed_tenant(seed_db, SPEC)
    with pytest.raises(TenantExists):
        seed_tenant(seed_db, replace(SPEC, replace=False))


def test_the_helpers_are_inlined_into_the_queries(seed_db):
    # A helper that stops being inlined (one stable call in its body suffices) makes seeding several times slower.
    conn = connect(seed_db)
    try:
        conn.run("BEGIN")
        ddl = helper_ddl(SPEC)
        for statement in ddl:
            conn.run(statement)
        args = {"bigint": "n", "int": "3", "timestamptz": "now() + n * interval '1 s'", "text": "n::text"}
        not_inlined = []
        for statement in ddl:
            name, params = re.search(r"pg_temp\.(\w+)\(([^)]*)\)", statement).groups()
            call_args = ", ".join(args[p.split()[1]] for p in params.split(", ") if p)
            plan = conn.run(f"EXPLAIN VERBOSE SELECT pg_temp.{name}({call_args}) FROM generate_series(1, 3) n")
            if "pg_temp." in plan[1][0]:
                not_inlined.append(name)
        conn.run("ROLLBACK")
    finally:
        conn.close()
    assert not_inlined == []


@pytest.mark.parametrize(
    ("draw", "threshold"),
    [("seed_u", 0.24), ("seed_z", -0.7063)],  # P(u < 0.24) = P(z < -0.7063) = 0.24
    ids=["uniform", "normal"],
)
def test_a_draw_takes_its_share_of_consecutive_keys(seed_db, draw, threshold):
    # Rows are numbered 1, 2, 3, ...: a draw's share of them must be what the generator asked for, or every
    # rate it sets (answered surveys, channels, escalations) drifts from tenant to tenant.
    # Given 50 named draws over the keys 1..20,000 of one tenant's stream
    keys, draws, share = 20_000, 50, 0.24
    conn = connect(seed_db)
    try:
        conn.run("BEGIN")
        for statement in helper_ddl(SPEC):
            conn.run(statement)
        # When each draw's share of keys below the threshold is counted
        shares = [
            row[0]
            for row in conn.run(
                f"SELECT avg((pg_temp.{draw}(n, salt) < :threshold)::int)::float8 "
                "FROM generate_series(1, :keys) AS n, generate_series(1, :draws) AS salt GROUP BY salt",
                threshold=threshold,
                keys=keys,
                draws=draws,
            )
        ]
        conn.run("ROLLBACK")
    finally:
        conn.close()
    # Then every share lies within 3 binomial standard deviations of 0.24 (as 50 fair draws would)
    sd = (share * (1 - share) / keys) ** 0.5
    worst = max(abs(s - share) for s in shares) / sd
    assert worst < 3, f"a draw's share is {worst:.1f} standard deviations off"
