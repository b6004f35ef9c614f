"""What to generate for one tenant, and the sizes derived from it."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from local.seed import vocab

PLANS = ("starter", "professional", "enterprise")
PRODUCTS = ("voice", "helpdesk", "knowledge_base")
# Fixed namespace: tenant ids stay the same across machines and releases for a given (slug, seed).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://aurion.example/local/seed")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_SEED = 2**31 - 1
ROW_KEY_BITS = 32  # generation keys stay below 8 * 50M conversations
MAX_ROWS = 50_000_000
DEFAULT_TIME_ZONE = "Europe/London"


@dataclass(frozen=True)
class PlanProfile:
    teams: int  # the first `teams` entries of vocab.TEAMS
    agents: int
    articles_per_topic: int  # help-center articles per topic (len(vocab.TOPICS) topics)


PLAN_PROFILES: dict[str, PlanProfile] = {
    "starter": PlanProfile(teams=4, agents=10, articles_per_topic=3),
    "professional": PlanProfile(teams=5, agents=28, articles_per_topic=6),
    "enterprise": PlanProfile(teams=6, agents=40, articles_per_topic=8),
}


def _now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class TenantSpec:
    """One tenant to (re)create. Same spec (including `end`) and seed give byte-identical rows."""

    slug: str
    conversations: int
    calls: int = 0
    days: int = 120
    seed: int = 1
    plan: str = "professional"
    products: tuple[str, ...] = ("voice", "helpdesk", "knowledge_base")
    # Home of the tenant: its agents work, and its customers write and call, in this zone's local hours.
    time_zone: str = DEFAULT_TIME_ZONE
    end: datetime = field(default_factory=_now_minute)
    name: str | None = None
    replace: bool = False  # delete an existing tenant with this slug first; otherwise its presence is an error

    def __post_init__(self) -> None:
        if not _SLUG.match(self.slug):
            raise ValueError(f"slug must match {_SLUG.pattern}: {self.slug!r}")
        if self.plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}")
        unknown = set(self.products) - set(PRODUCTS)
        if unknown:
            raise ValueError(f"unknown products {sorted(unknown)}; known: {PRODUCTS}")
        if not (0 <= self.conversations <= MAX_ROWS and 0 <= self.calls <= MAX_ROWS):
            raise ValueError(f"conversations and calls must be between 0 and {MAX_ROWS:,}")
        if self.calls and "voice" not in self.products:
            raise ValueError("calls need the voice product")
        if not 1 <= self.days <= 3660:
            raise ValueError("days must be between 1 and 3660")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and {MAX_SEED}")
        if self.end.tzinfo is None:
            raise ValueError("end must be timezone-aware")
        if not is_time_zone(self.time_zone):
            raise ValueError(f"unknown time zone {self.time_zone!r}: an IANA name such as America/New_York")
        # Normalised so equal specs render equal SQL, whatever order or timezone they were given in.
        object.__setattr__(self, "products", tuple(p for p in PRODUCTS if p in self.products))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def tenant_id(self) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{self.slug}:{self.seed}")

    @property
    def display_name(self) -> str:
        return self.name or self.slug.replace("-", " ").title()

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    @property
    def stream_key(self) -> int:
        """Keys every pseudo-random draw: 40 bits, so `key * 1024 + salt` stays a valid bigint seed."""
        digest = hashlib.sha256(f"{self.slug}:{self.seed}".encode()).digest()
        return int.from_bytes(digest[:5], "big")

    @property
    def row_id_base(self) -> int:
        """First bigint id of the tenant's identity-keyed rows (article_views, email_messages, ...).

        Ids are base + the row's generation key (< 2^32), so re-seeding gives the same ids whatever the
        sequences did meanwhile. Bases are >= 2^32, far above what the sequences hand out, and ids stay
        below 2^53 so that JavaScript clients read them exactly.
        """
        return (1 + self.stream_key % ((1 << 20) - 1)) << ROW_KEY_BITS

    @property
    def profile(self) -> PlanProfile:
        return PLAN_PROFILES[self.plan]

    @property
    def has_knowledge_base(self) -> bool:
        return "knowledge_base" in self.products

    @property
    def has_voice(self) -> bool:
        return "voice" in self.products

    @property
    def contacts(self) -> int:
        # Repeat customers: fewer contacts than conversations, plus a floor for tiny tenants.
        return max(50, round(self.conversations * 0.45), round(self.calls * 0.5))

    @property
    def callers(self) -> int:
        """Distinct numbers calls come from; callers are the first contacts, so many callers are known."""
        return min(self.contacts, max(10, round(self.calls * 0.45)))

    @property
    def phone_countries(self) -> tuple[tuple[str, float], ...]:
        """Calling codes of the contacts' numbers: mostly the home country's, some from abroad."""
        return vocab.PHONE_COUNTRIES_BY_ZONE.get(self.time_zone, vocab.PHONE_COUNTRIES_ELSEWHERE)

    @property
    def articles(self) -> int:
        return len(vocab.TOPICS) * self.profile.articles_per_topic if self.has_knowledge_base else 0


def is_time_zone(name: str) -> bool:
    # Only names: rendered into SQL as a literal, and PostgreSQL knows the same IANA names.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def team_layout(spec: TenantSpec) -> list[tuple[str, int]]:
    """(team name, agents) per team, largest-remainder rounding so the sizes add up to the plan's agents."""
    teams = vocab.TEAMS[: spec.profile.teams]
    total_share = sum(share for _, share in teams)
    exact = [spec.profile.agents * share / total_share for _, share in teams]
    sizes = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(teams)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in by_remainder[: max(0, spec.profile.agents - sum(sizes))]:
        sizes[i] += 1
    return [(name, size) for (name, _), size in zip(teams, sizes, strict=True)]
