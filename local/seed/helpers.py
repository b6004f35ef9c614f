"""Per-tenant SQL helpers in pg_temp: pseudo-random draws, ids, names, e-mail addresses, phone numbers.

They are simple IMMUTABLE SQL functions, so the planner inlines them into each query (they cost about
what the expression costs), and they vanish with the session. The tenant's stream key and time window
are baked in as constants, so queries read `pg_temp.seed_u(n, 17)` rather than repeating parameters.

Randomness comes from hashint8extended(n, stream_key * 2^20 + salt), never random(): a row's values depend
on its own key only, not on the order a plan (parallel or not) happens to produce rows in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from local.seed import vocab
from local.seed.spec import TenantSpec
from local.seed.sqlkit import SALT_BITS, Draws, lit, pick, text_array, ts

# One salt per kind of id: the same (kind, n) always names the same row, whichever query computes it.
ID_SALT = {
    "team": 1,
    "user": 2,
    "contact": 3,
    "mailbox": 4,
    "article": 5,
    "conversation": 6,
    "csat": 7,
    "call": 8,
}

_people = Draws("people")


def dim_id(kind: str, n: str) -> str:
    """Id of the n-th row of a small table (teams, users, contacts...): computable from n alone."""
    return f"pg_temp.seed_dim_id({ID_SALT[kind]}, {n})"


def dim_id_lookup(kind: str, count: int, n: str) -> str:
    """dim_id for tables of a few rows: ids computed once per statement, then an array lookup per row."""
    ids = f"(SELECT array_agg({dim_id(kind, 'i')} ORDER BY i) FROM generate_series(1, {count}) AS i)"
    return f"{ids}[{n}]"


def event_id(kind: str, at: str, n: str) -> str:
    """Id of an event row, time-ordered by `at` (UUIDv7 layout) so primary-key inserts stay append-only."""
    return f"pg_temp.seed_event_id({ID_SALT[kind]}, {at}, {n})"


def row_id(key: str) -> str:
    """Explicit id of a row of an identity-keyed table: the tenant's base plus the row's generation key."""
    return f"(pg_temp.seed_row_id_base() + ({key}))"


def helper_ddl(spec: TenantSpec) -> list[str]:
    seed_base = f"{spec.stream_key}::bigint * {1 << SALT_BITS}"
    start_ms = _epoch_ms(spec.start)
    first, last = vocab.FIRST_NAMES, vocab.LAST_NAMES
    names = len(first) * len(last)
    return [
        _fn("seed_tenant()", "uuid", f"{lit(str(spec.tenant_id))}::uuid"),
        _fn("seed_start()", "timestamptz", ts(spec.start)),
        _fn("seed_end()", "timestamptz", ts(spec.end)),
        _fn("seed_row_id_base()", "bigint", f"{spec.row_id_base}::bigint"),
        # Uniform in [0, 1): the top 53 bits of a 64-bit hash, as a double. Not the low 53: over consecutive
        # keys (row numbers) the low bits of the hash's upper half are poorly mixed, and a 24 % share of
        # 20,000 rows came out anywhere in 23.0-25.4 % (4 standard deviations) depending on the salt.
        _fn(
            "seed_u(n bigint, salt int)",
            "float8",
            f"((hashint8extended(n, {seed_base} + salt) >> 11) & 9007199254740991)::float8 / 9007199254740992",
        ),
        # Standard normal by Box-Muller; the second uniform uses the complemented seed, a disjoint stream.
        _fn(
            "seed_z(n bigint, salt int)",
            "float8",
            f"sqrt(-2 * ln(1 - pg_temp.seed_u(n, salt)))"
            f" * cos(2 * pi() * ((hashint8extended(n, ~({seed_base} + salt)) >> 11) & 9007199254740991)::float8"
            " / 9007199254740992)",
        ),
        _fn(
            "seed_int(n bigint, salt int, bound bigint)",
            "bigint",
            f"(hashint8extended(n, {seed_base} + salt) & 9223372036854775807) % bound",
        ),
        # UUIDv7 layout: 48-bit millisecond time, version 7, 12 hash bits, variant 10, 62 hash bits. Built as
        # two bigints sent as bytes: half the cost of assembling hex text.
        _fn(
            "seed_uuid7(ms bigint, n bigint, kind int)",
            "uuid",
            f"encode(int8send((ms << 16) | 28672 | (hashint8extended(n, {seed_base} + kind) & 4095))"
            f" || int8send((hashint8extended(n, ~({seed_base} + kind)) & 4611686018427387903)"
            " | (-9223372036854775807 - 1)), 'hex')::uuid",
        ),
        _fn(
            "seed_event_id(kind int, at timestamptz, n bigint)",
            "uuid",
            # Only immutable functions, or the planner would not inline the helper: date_part of an interval
            # (of a timestamptz is stable), and not extract, whose numeric result is several times slower.
            "pg_temp.seed_uuid7(floor(date_part('epoch', at - '1970-01-01 00:00:00+00'::timestamptz) * 1000)::bigint,"
            " n, kind)",
        ),
        # Small tables: the "time" is the window start plus the row number, so ids sort like the rows.
        _fn("seed_dim_id(kind int, n bigint)", "uuid", f"pg_temp.seed_uuid7({start_ms} + n, n, kind)"),
        # Person n (contacts from 1, agents elsewhere): first/last name pairs are distinct for n < 10,000 and
        # get a numeric suffix in their e-mail beyond that, so addresses stay unique per tenant.
        _fn("seed_first(n bigint)", "text", f"({text_array(first)})[1 + n % {len(first)}]"),
        _fn(
            "seed_last(n bigint)",
            "text",
            f"({text_array(last)})[1 + (n / {len(first)} + (n % {len(first)}) * 37) % {len(last)}]",
        ),
        _fn(
            "seed_email(n bigint)",
            "text",
            "lower(pg_temp.seed_first(n) || '.' || pg_temp.seed_last(n))"
            f" || CASE WHEN n >= {names} THEN (n / {names})::text ELSE '' END"
            f" || '@' || {pick(_people.u('email_domain'), [(lit(d), w) for d, w in vocab.EMAIL_DOMAINS])}",
        ),
        _fn("seed_phone(n bigint)", "text", _phone_sql(spec)),
        # How a caller reads their number out loud, e.g. +33 6 12 34 56 78; `p` is an E.164 number.
        _fn(
            "seed_spoken_phone(p text)",
            "text",
            r"""CASE
                WHEN p LIKE '+1%' THEN regexp_replace(p, '^\+1(\d{3})(\d{3})(\d{4})$', '+1 (\1) \2-\3')
                WHEN p LIKE '+44%' THEN regexp_replace(p, '^\+44(\d{4})(\d{6})$', '+44 \1 \2')
                WHEN p LIKE '+33%' THEN regexp_replace(p, '^\+33(\d)(\d\d)(\d\d)(\d\d)(\d\d)$', '+33 \1 \2 \3 \4 \5')
                WHEN p LIKE '+81%' THEN regexp_replace(p, '^\+81(\d\d)(\d{4})(\d{4})$', '+81 \1-\2-\3')
                ELSE regexp_replace(p, '^\+49(\d{3})(\d+)$', '+49 \1 \2')
            END""",
        ),
    ]


def _phone_sql(spec: TenantSpec) -> str:
    """E.164 mobile numbers in each country's shape (US: NPA-NXX-XXXX, UK 07, FR 06/07, DE 015x, JP 070/080/090).

    Explicit ::text casts: text || integer resolves to a stable operator, which would block inlining.
    """

    def digits(name: str, count: int) -> str:
        return f"lpad(pg_temp.seed_int(n, {_people.salt(name)}, {10**count})::text, {count}, '0')"

    def below(name: str, bound: int) -> str:
        return f"pg_temp.seed_int(n, {_people.salt(name)}, {bound})"

    by_country = {
        "1": f"'+1' || (200 + {below('phone_area', 800)})::text || (200 + {below('phone_exchange', 800)})::text "
        f"|| {digits('phone_line', 4)}",
        "44": f"'+447' || {digits('phone_line', 9)}",
        "33": f"'+33' || (6 + {below('phone_area', 2)})::text || {digits('phone_line', 8)}",
        "49": f"'+4915' || (1 + {below('phone_area', 9)})::text || {digits('phone_line', 8)}",
        "81": f"'+81' || (7 + {below('phone_area', 3)})::text || '0' || {digits('phone_line', 8)}",
    }
    return pick(_people.u("phone_country"), [(by_country[code], w) for code, w in spec.phone_countries])


def _fn(signature: str, returns: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION pg_temp.{signature} RETURNS {returns} "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT {body} $fn$"
    )


def _epoch_ms(value: datetime) -> int:
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
