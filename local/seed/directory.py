"""Teams, agents and e-mail channels: the tenant's small, fixed tables.

Each agent takes a share of their team's queue in proportion to a workload weight: the team's longest-serving
agent and a few others are senior and take more, juniors and part-timers less, the team lead (supervisor) less
again. Who is what follows from the tenant's seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from local.seed.helpers import dim_id
from local.seed.spec import TenantSpec, team_layout
from local.seed.sqlkit import lit, num_array, text_array

# Agents are people numbered from here, so their names do not repeat the first contacts'.
AGENT_PERSON_OFFSET = 4_000
MAILBOXES = (("support", "active"), ("billing", "active"), ("help", "inactive"))
SUPPORT, BILLING, LEGACY = 1, 2, 3
# Workload relative to a regular agent, and the shares of the levels among a team's other agents.
SENIOR, REGULAR, JUNIOR, PART_TIME, SUPERVISOR = 1.5, 1.0, 0.75, 0.5, 0.55
LEVELS = ((SENIOR, 0.2), (REGULAR, 0.55), (JUNIOR, 0.15), (PART_TIME, 0.1))
PART_TIME_MIN_TEAM = 4  # smaller teams cannot spare a part-timer
SUPERVISED_TEAM = 3  # teams of this size or more have a lead
INDIVIDUAL_SPREAD = 0.1  # +-10 % around the level, so that no two agents tie
# Teams sit 2 apart on the line width_bucket searches: a draw in [0, 1) on top of a team's start never
# rounds into the next team.
TEAM_SPACING = 2


@dataclass(frozen=True)
class Directory:
    """Where each team's agents are in the user numbering, for picking an assignee in SQL."""

    team_names: list[str]
    team_sizes: list[int]
    first_agent: list[int]  # per team, the user number of its first agent (users are numbered from 1)
    workload: list[float]  # per agent (user number - 1), relative to a regular agent

    def team_index(self, *names: str) -> int:
        """1-based index of the first of `names` the tenant has; Tier 1 (the first team) otherwise."""
        return next((self.team_names.index(n) + 1 for n in names if n in self.team_names), 1)

    @property
    def agents(self) -> int:
        return sum(self.team_sizes)

    def is_supervisor(self, user: int) -> bool:
        """The last agent of a team of three or more leads it."""
        return any(
            size >= SUPERVISED_TEAM and user == first + size - 1
            for size, first in zip(self.team_sizes, self.first_agent, strict=True)
        )

    def assignment_thresholds(self) -> list[float]:
        """For width_bucket(TEAM_SPACING * (team - 1) + u, thresholds): the user number of the assignee.

        Agent k's threshold is its team's start plus the workload share of the team's agents before it, so
        a uniform u picks each agent with the probability of its share.
        """
        thresholds = []
        for team, (size, first) in enumerate(zip(self.team_sizes, self.first_agent, strict=True)):
            weights = self.workload[first - 1 : first - 1 + size]
            before = 0.0
            for weight in weights:
                thresholds.append(round(TEAM_SPACING * team + before / sum(weights), 12))
                before += weight
        return thresholds


def directory(spec: TenantSpec) -> Directory:
    layout = team_layout(spec)
    firsts, workload, next_user = [], [], 1
    for _, size in layout:
        firsts.append(next_user)
        workload += [_workload(spec, next_user, position, size) for position in range(size)]
        next_user += size
    return Directory([name for name, _ in layout], [size for _, size in layout], firsts, workload)


def _workload(spec: TenantSpec, first: int, position: int, team_size: int) -> float:
    """The weight of the agent at `position` (0-based) of the team whose first agent is user `first`."""
    level_u, spread_u = _uniforms(spec, first + position)
    if team_size >= SUPERVISED_TEAM and position == team_size - 1:
        level = SUPERVISOR
    elif position == 0:
        level = SENIOR  # the team's longest-serving agent
    else:
        levels = [(w, share) for w, share in LEVELS if w != PART_TIME or team_size >= PART_TIME_MIN_TEAM]
        total, cumulative, level = sum(share for _, share in levels), 0.0, levels[-1][0]
        for weight, share in levels:
            cumulative += share / total
            if level_u < cumulative:
                level = weight
                break
    return round(level * (1 + INDIVIDUAL_SPREAD * (2 * spread_u - 1)), 6)


def _uniforms(spec: TenantSpec, user: int) -> tuple[float, float]:
    """Two uniforms in [0, 1) of (tenant, seed, user): the same on every machine and release."""
    digest = hashlib.sha256(f"{spec.slug}:{spec.seed}:agent:{user}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:16], "big") / 2**64


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
            roles.append("supervisor" if d.is_supervisor(user) else "agent")
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
