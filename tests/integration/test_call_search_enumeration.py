"""Suffix enumeration (issue 13): a redacted number must not be recoverable by extending its last 4 digits.

The attack: the number +1 562 200 4223 is shown as `***-***-4223`; search `?phone=d4223` for d = 0..9, the digit
that still finds the call is the next one; repeat with the longer suffix. It recovered the number in 34 searches
and 13 seconds with 4 API keys. Here it runs against the daily budgets (aurion.search_budget) on the fixed clock,
waiting out every refusal, and we measure what recovering the number costs each kind of principal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest

from aurion import ratelimit, search_budget
from tests.support.api import caller_for, get
from tests.support.builders import at

PATH = "/api/v1/analytics/search"
WEEK = "start_date=2026-11-01&end_date=2026-11-17"
NUMBER = "15622004223"
SHOWN = NUMBER[-4:]


@pytest.fixture
def tenant(build, clock, storage):
    # Rate-limit counters in this instance's memory (storage), fresh for the test.
    # The fixed clock: 2026-11-18 14:00 UTC (tests/support/clock.py), moved by hand past each budget's window.
    tenant = build.tenant()
    build.call(tenant, at("2026-11-02 09:15"), phone_number=f"+{NUMBER}")
    build.call(tenant, at("2026-11-03 10:00"), phone_number="+33611119999")
    return tenant


@pytest.fixture
def patient(monkeypatch, storage):
    """An attacker who waits out every minute: the minute limit is not what these tests measure."""
    monkeypatch.setattr(ratelimit, "SEARCH_LIMIT", 10_000)
    ratelimit.reset_limiters()


def search(functions, caller, digits):
    return get(functions("call_search"), f"{PATH}?phone={digits}&{WEEK}", caller)


def key_caller(tenant, key_id):
    """The authorizer's context for an API key (aurion.authorizer)."""
    return {
        "tenant_id": str(tenant), "user_id": f"api_key:{key_id}", "role": "tenant_readonly", "auth": "api_key",
        "key_id": key_id,
    }  # fmt: skip


@dataclass
class Attack:
    known: str = SHOWN
    probes: int = 0
    refusals: list[dict] = field(default_factory=list)


def enumerate_suffix(functions, clock, next_caller, *, wait: bool, max_days: int = 60) -> tuple[Attack, float]:
    """Run the attack until the number is known (or, without `wait`, until the first refusal); the days it took."""
    attack, started = Attack(), clock.now
    missed: set[str] = set()  # the attacker remembers the probes that found nothing
    while len(attack.known) < len(NUMBER) and (clock.now - started).days < max_days:
        for digit in "0123456789":
            if digit + attack.known in missed:
                continue
            answer = search(functions, next_caller(), digit + attack.known)
            attack.probes += 1
            if answer.status == 429:
                attack.refusals.append(answer.body)
                if not wait:
                    return attack, (clock.now - started).total_seconds() / 86400
                clock.advance(seconds=int(answer.header("Retry-After")))
                break
            assert answer.status == 200, answer.body
            if answer.body["total_count"]:
                attack.known = digit + attack.known
                break
            missed.add(digit + attack.known)
    return attack, (clock.now - started).total_seconds() / 86400


def narrowing_rows(owner_conn, tenant):
    rows = owner_conn.run(
        "SELECT actor_user_id, target_redacted, outcome FROM audit_log "
        "WHERE tenant_id = :tenant AND action = 'call_search.narrowing' ORDER BY id",
        tenant=tenant,
    )
    return [tuple(row) for row in rows]


def test_one_user_enumerating_a_suffix_is_refused_after_two_narrowing_probes(functions, tenant, clock, owner_conn):
    # Given one user, searching at most 10 times a minute
    caller = caller_for(tenant, "agent")
    # When they run the attack
    attack, _ = enumerate_suffix(functions, clock, lambda: caller, wait=False)
    # Then within the first minute they learn at most two digits and are refused in the spec's 429 shape
    assert attack.refusals == [{"detail": search_budget.NARROWING_DETAIL, "limit": 2}]
    assert len(attack.known) <= len(SHOWN) + 2
    # And each probe that extended a searched suffix is an audit row naming the user and the probe's length
    rows = narrowing_rows(owner_conn, tenant)
    assert [outcome for _, _, outcome in rows] == ["allowed", "allowed", "budget_exhausted"]
    assert {actor for actor, _, _ in rows} == {caller["user_id"]}
    assert all(target.startswith("***-***-") and target.endswith("digits)") for _, target, _ in rows)


def test_recovering_the_number_costs_one_patient_user_ten_days(functions, tenant, clock, patient, owner_conn):
    # Given one user who waits out every refusal
    caller = caller_for(tenant, "agent")
    # When they run the attack to the end
    attack, days = enumerate_suffix(functions, clock, lambda: caller, wait=True)
    # Then they get the number, but only on the 11th day (2 narrowing probes a day; 22 were needed)
    assert attack.known == NUMBER
    assert days >= 10, days
    assert len([row for row in narrowing_rows(owner_conn, tenant) if row[2] == "allowed"]) == 22


def test_many_accounts_of_one_tenant_share_the_narrowing_budget(functions, tenant, clock, owner_conn):
    # Given an insider with as many accounts as they like, a fresh one for every probe (no per-user limit binds)
    accounts: list[str] = []

    def fresh_account():
        accounts.append(str(uuid.uuid4()))
        return caller_for(tenant, "agent", accounts[-1])

    # When they run the attack until the first refusal, then to the end waiting out every refusal
    first_day, _ = enumerate_suffix(functions, clock, fresh_account, wait=False)
    attack, days = enumerate_suffix(functions, clock, fresh_account, wait=True)
    # Then the tenant's narrowing budget (3 a day) stopped them the first time, and the number took a week
    assert first_day.refusals == [{"detail": search_budget.NARROWING_DETAIL, "limit": 3}]
    assert attack.known == NUMBER
    assert days >= 7, days
    # And the audit log shows the pattern across the accounts: every narrowing probe, each by its own account
    rows = narrowing_rows(owner_conn, tenant)
    assert len({actor for actor, _, _ in rows}) == len(rows) >= 22


def test_every_api_key_of_a_tenant_shares_one_search_limit_and_one_budget(functions, tenant, clock, owner_conn):
    # Given five API keys of one tenant
    keys = [key_caller(tenant, str(uuid.uuid4())) for _ in range(5)]
    # When each searches 10 different numbers within the minute (50 searches)
    statuses = [search(functions, key, f"0{index}{n:05d}").status for index, key in enumerate(keys) for n in range(10)]
    # Then the tenant's keys got 10 answers in all, not 50
    assert statuses.count(200) == 10
    assert statuses.count(429) == 40
    # And the suffix attack rotating keys is stopped at the narrowing budget of one principal (2), not 5 x 2
    clock.advance(minutes=1)
    ratelimit.reset_limiters()
    rotation = iter(keys * 10)
    attack, _ = enumerate_suffix(functions, clock, lambda: next(rotation), wait=False)
    assert attack.refusals == [{"detail": search_budget.NARROWING_DETAIL, "limit": 2}]


def test_legitimate_searches_never_narrow_and_repeats_are_free(functions, tenant, clock, patient, owner_conn):
    # Given a supervisor who searches a full number, its last 4 digits, and both again many times
    caller = caller_for(tenant, "supervisor")
    answers = [search(functions, caller, digits) for _ in range(30) for digits in (f"%2B{NUMBER}", SHOWN)]
    # Then every search is answered, none narrows, and the two searches cost two units of the day's budget
    assert {answer.status for answer in answers} == {200}
    assert narrowing_rows(owner_conn, tenant) == []
    assert owner_conn.run("SELECT count(*) FROM search_probes WHERE tenant_id = :t", t=tenant) == [[2]]


def test_fifty_different_numbers_a_day_then_429_until_the_oldest_leaves_the_window(functions, tenant, clock, patient):
    # Given a user who searched 50 different numbers, one every 10 minutes
    caller = caller_for(tenant, "agent")
    for n in range(50):
        assert search(functions, caller, f"07{n:06d}").status == 200
        clock.advance(minutes=10)
    # When they search a 51st
    refused = search(functions, caller, "0799999999")
    # Then it is a 429 in the spec's shape, saying when the first search leaves the 24-hour window
    assert refused.status == 429
    assert refused.body == {"detail": search_budget.DISTINCT_DETAIL, "limit": 50}
    assert refused.header("X-RateLimit-Limit") == "50"
    assert refused.header("X-RateLimit-Remaining") == "0"
    assert refused.header("RateLimit-Policy") == "50;w=86400"
    assert int(refused.header("Retry-After")) == 24 * 3600 - 50 * 600
    # And once it has left, one more search is allowed
    clock.advance(seconds=int(refused.header("Retry-After")))
    assert search(functions, caller, "0799999999").status == 200


def test_probes_are_stored_as_keyed_hashes_never_digits(functions, tenant, clock, app_env, owner_conn):
    # Given searches of a full number and of a suffix
    caller = caller_for(tenant, "agent")
    for digits in (NUMBER, "04223"):
        assert search(functions, caller, digits).status == 200
    # Then the budget's table holds no digits of them, only 64-hex HMACs
    stored = owner_conn.run("SELECT term_hash, tail_hash FROM search_probes WHERE tenant_id = :t", t=tenant)
    assert len(stored) == 2
    text = repr(stored)
    assert NUMBER not in text
    assert "4223" not in text
