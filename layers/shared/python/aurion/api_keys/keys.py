"""What an API key looks like, and the only form of it we keep: its SHA-256 digest.

A key is `itsm_sk_live_` followed by 43 base62 characters (256 bits from the OS's CSPRNG). With that much
entropy a single fast hash is enough: nobody can brute-force a preimage, so a slow password hash would only
slow down every request. Base62 keeps the key one "word" for the log scrubber (aurion.logs) and for
double-click selection.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from typing import Final

KEY_PREFIX: Final = "itsm_sk_live_"
RANDOM_LENGTH: Final = 43  # 43 x log2(62) = 256 bits
# How many random characters the visible prefix shows: enough to tell keys apart in a list, far too few to
# help guess the rest (35 characters, 208 bits, stay secret).
VISIBLE_RANDOM: Final = 8
_ALPHABET: Final = string.ascii_letters + string.digits


@dataclass(frozen=True)
class MintedKey:
    key: str  # shown once, in the create response; never stored, never logged
    prefix: str
    key_hash: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def looks_like_key(value: str) -> bool:
    """Shape check before any database work: a garbled header costs no round trip."""
    random_part = value[len(KEY_PREFIX) :]
    return (
        value.startswith(KEY_PREFIX)
        and len(random_part) == RANDOM_LENGTH
        and all(char in _ALPHABET for char in random_part)
    )


def mint_key() -> MintedKey:
    key = KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_LENGTH))
    return MintedKey(key=key, prefix=key[: len(KEY_PREFIX) + VISIBLE_RANDOM], key_hash=hash_key(key))
