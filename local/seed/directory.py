"""Teams, agents and e-mail channels: the tenant's small, fixed tables."""

from __future__ import annotations

from dataclasses import dataclass

from local.seed.helpers import dim_id
from local.seed.spec import TenantSpec, team_layout
from local.seed.sqlkit import lit, num_array, text_array

# Agents are people numbered from here, so their names do not repeat the first contacts'.
AGENT_PERSON_OFFSET = 4_000
MAILBOXES = (("support", "active"), ("billing", "active"), ("help", "inactive"))
SUPPORT, BILLING, LEGACY = 1, 2, 3


@dataclass(frozen=True)
class Directory:
    """Where each team's agents are in the user numbering, for picking an assignee in SQL."""

    team_names: list[str]
    team_sizes: list[int]
    first_agent: list[int]  # per team, the user number of its first agent (users are numbered from 1)

    def team_index(self, *names: str) -> int:
        """1-based index of the first of `names` the tenant has; Tier 1 (the first team) otherwise."""
        return next((self.team_names.index(n) + 1 for n in names if n in self.team_names), 1)

    @property
    def agents(self) -> int:
        return sum(self.team_sizes)


def directory(spec: TenantSpec) -> Directory:
    layout = team_layout(spec)
    firsts, next_user = [], 1
    for _, size in layout:
        firsts.append(next_user)
        next_user += size
    return Directory([name for name, _ in layout], [size for _, size in layout], firsts)


def insert_teams_sql(spec: TenantSpec) -> str:
    names = directory(spec).team_names
    return f"""
INSERT INTO teams (id, tenant_id, name, created_at)
SELECT {dim_id("team", "i")}, pg_temp.seed_tenant(), name, pg_temp.seed_start()
FROM unnest({text_array(names)}) WITH ORDINALITY AS t(name, i)
"""


def insert_users_sql(spec: TenantSpec) -> str:
    d = directory(spec)
    team_of, roles = [], []
    for team, (size, first) in enumerate(zip(d.team_sizes, d.first_agent, strict=True), start=1):
        for user in range(first, first + size):
            team_of.append(team)
            # The last agent of a team of three or more leads it; agents handle most of the volume.
            roles.append("supervisor" if size >= 3 and user == first + size - 1 else "agent")
    team_of.append(0)  # the tenant's administrator belongs to no team and handles no conversation
    roles.append("admin")
    domain = f"{spec.slug}.example"
    return f"""
INSERT INTO users (id, tenant_id, team_id, name, email, role, created_at)
SELECT {dim_id("user", "k")}, pg_temp.seed_tenant(),
       CASE WHEN team_i > 0 THEN {dim_id("team", "team_i")} END,
       pg_temp.seed_first(p) || ' ' || pg_temp.seed_last(p),
       lower(pg_temp.seed_first(p) || '.' || pg_temp.seed_last(p)) || '@' || {lit(domain)},
       role, pg_temp.seed_start()
FROM (
    SELECT k, team_i, role, {AGENT_PERSON_OFFSET} + 7 * k AS p
    FROM unnest({num_array(team_of)}, {text_array(roles)}) WITH ORDINALITY AS u(team_i, role, k)
) agents
"""


def insert_mailboxes_sql(spec: TenantSpec) -> str:
    addresses = [f"{local}@{spec.slug}.example" for local, _ in MAILBOXES]
    statuses = [status for _, status in MAILBOXES]
    return f"""
INSERT INTO email_channels (id, tenant_id, address, status, created_at)
SELECT {dim_id("mailbox", "i")}, pg_temp.seed_tenant(), address, status, pg_temp.seed_start()
FROM unnest({text_array(addresses)}, {text_array(statuses)}) WITH ORDINALITY AS m(address, status, i)
"""
