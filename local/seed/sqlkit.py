"""Rendering SQL fragments: literals, arrays, weighted choices and named pseudo-random draws.

Only values the generator controls (vocabulary, validated spec fields) are rendered into SQL text.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime

SALT_BITS = 20
_salts: dict[int, str] = {}


def lit(value: str | int | float | bool | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + value.replace("'", "''") + "'"


def ts(value: datetime) -> str:
    return f"{lit(value.isoformat())}::timestamptz"


def text_array(values: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(lit(v) for v in values) + "]::text[]"


def num_array(values: Sequence[int | float], sql_type: str = "int") -> str:
    return "ARRAY[" + ", ".join(lit(v) for v in values) + f"]::{sql_type}[]"


def pick(u: str, choices: Sequence[tuple[str, float]]) -> str:
    """A CASE choosing one SQL expression per weight from a uniform draw `u` in [0, 1).

    Thresholds are rounded to 12 digits so the SQL text (and so the data) does not depend on float noise.
    """
    total = sum(weight for _, weight in choices)
    if total <= 0:
        raise ValueError("weights must not all be zero")
    kept = [(value, weight) for value, weight in choices if weight > 0]
    whens, cumulative = [], 0.0
    for value, weight in kept[:-1]:
        cumulative += weight
        whens.append(f"WHEN {u} < {round(cumulative / total, 12)!r} THEN {value}")
    if not whens:
        return kept[-1][0]
    return f"CASE {' '.join(whens)} ELSE {kept[-1][0]} END"


def pick_literal(u: str, choices: Sequence[tuple[str, float]]) -> str:
    return pick(u, [(lit(value), weight) for value, weight in choices])


class Draws:
    """Named, independent pseudo-random draws for one table: `u('channel')` is uniform in [0, 1).

    Each (namespace, name) gets a stable salt, so adding a draw never changes the others; a salt
    collision between two names would correlate them, so it is refused.
    """

    def __init__(self, namespace: str, key: str = "n") -> None:
        self._namespace = namespace
        self._key = key

    def salt(self, name: str) -> int:
        label = f"{self._namespace}.{name}"
        salt = zlib.crc32(label.encode()) & ((1 << SALT_BITS) - 1)
        owner = _salts.setdefault(salt, label)
        if owner != label:
            raise RuntimeError(f"draw salts collide: {owner} and {label}; rename one")
        return salt

    def u(self, name: str, key: str | None = None) -> str:
        return f"pg_temp.seed_u({key or self._key}, {self.salt(name)})"

    def z(self, name: str, key: str | None = None) -> str:
        """Standard normal."""
        return f"pg_temp.seed_z({key or self._key}, {self.salt(name)})"

    def lognormal(self, name: str, median: str | float, sigma: float, key: str | None = None) -> str:
        return f"({median} * exp({sigma!r} * {self.z(name, key)}))"

    def int_below(self, name: str, bound: str | int, key: str | None = None) -> str:
        """Uniform integer in [0, bound)."""
        return f"floor({bound} * {self.u(name, key)})::int"

    def skewed_index(self, name: str, size: str | int, power: float, key: str | None = None) -> str:
        """1-based index in [1, size]; power > 1 makes low indexes (the popular ones) far more likely."""
        return f"(1 + floor({size} * power({self.u(name, key)}, {power!r}))::int)"
