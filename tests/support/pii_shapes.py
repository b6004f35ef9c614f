"""Free text with phone numbers and email addresses planted in the shapes people type, for the redaction properties.

Phone numbers: libphonenumber's example numbers of every region it knows (mobile and fixed line), their last digits
changed at random, written in national, international or E.164 form or regrouped, with their groups joined by one or
two separators of many kinds (spaces, double spaces, no-break and thin spaces, dots, slashes, underscores, hyphens,
en and em dashes, middle dots, commas, pipes), sometimes in full-width digits, sometimes glued to a word
(`phone0612345606`). Emails: ASCII and Unicode local parts, IDN and punycode domains, sometimes a full-width at sign.
They sit among words without digits, so whatever digits are left in a redacted text come from the plants.

How many examples a property tries: PII_EXAMPLES (default 40; `make fuzz` sets a large count). The integration
properties, which run an export per example, try a tenth of it (at least 3).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from aurion.redaction import digits_of

EXAMPLES = int(os.environ.get("PII_EXAMPLES", "40"))
UNIT_SETTINGS = settings(max_examples=EXAMPLES, deadline=None)
# One export (a database and moto round trip) per example: fewer, and the test's fixtures are built once.
OUTPUT_SETTINGS = settings(
    max_examples=max(3, EXAMPLES // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SEPARATORS = [
    " ", "  ", "-", ".", "/", "_", "\u2013", "\u2014", "\u00a0", "\u2009", "\u00b7", ",", "|", "~", ". ", "- ",
    " -", "\u3000", "\u2010", "\u2212", "*", "'",
]  # fmt: skip
GLUE = ["", "", "", "phone", "tel:", "Tel.", "Nr", "(", "«", "call", "n°"]
# Words without digits, in several scripts.
WORDS = st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=8)
_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
EXAMPLE_NUMBERS = sorted(
    {
        (region, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        for region in phonenumbers.SUPPORTED_REGIONS
        for kind in _TYPES
        if (number := phonenumbers.example_number_for_type(region, kind)) is not None
    }
)
_FORMATS = [
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
]
_MASK = re.compile(r"\*\*\*-\*\*\*-\d{4}")
MIN_DIGITS = 7


@dataclass
class Plants:
    text: str
    numbers: list[str] = field(default_factory=list)  # the digits of each planted number, as written
    emails: list[tuple[str, str]] = field(default_factory=list)  # (local part, domain), NFKC-normalised


def _full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if char.isascii() and char.isdigit() else char for char in text)


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    """One phone number as someone might type it (7 digits or more)."""
    region, e164 = draw(st.sampled_from(EXAMPLE_NUMBERS))
    tail = draw(st.text(alphabet="0123456789", min_size=2, max_size=2))
    number = phonenumbers.parse(e164[:-2] + tail, region)
    written = phonenumbers.format_number(number, draw(st.sampled_from(_FORMATS)))
    groups = re.findall(r"\d+", written)
    if draw(st.booleans()):  # regrouped in blocks of 1 to 4 digits
        digits, groups = "".join(groups), []
        while digits:
            size = draw(st.integers(1, 4))
            groups.append(digits[:size])
            digits = digits[size:]
    plus = "+" if written.startswith("+") and draw(st.booleans()) else ""
    shaped = plus + draw(st.sampled_from(SEPARATORS)).join(groups)
    if draw(st.integers(0, 4)) == 0:
        shaped = _full_width(shaped)
    return draw(st.sampled_from(GLUE)) + shaped


_LOCAL_CHARS = st.characters(categories=["Lu", "Ll", "Nd"]) | st.sampled_from("._+-")
# Latin with diacritics, and Cyrillic (U+0430..U+044F) for IDN domains such as пример.рф.
_LABEL_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüéèñçøåß" + "".join(map(chr, range(0x430, 0x450))))


@st.composite
def email_addresses(draw: st.DrawFn) -> tuple[str, str, str]:
    """(address as written, its local part and domain NFKC-normalised)."""
    first = draw(st.characters(categories=["Lu", "Ll"]))
    local = first + draw(st.text(alphabet=_LOCAL_CHARS, min_size=2, max_size=12)).strip("._+-") + "x"
    labels = draw(st.lists(st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=10), min_size=1, max_size=3))
    tld = draw(st.sampled_from(["de", "com", "fr", "co.uk", "org", "\u0440\u0444", "xn--p1ai", "museum", "io"]))
    domain = ".".join(labels) + "." + tld
    at = draw(st.sampled_from(["@", "@", "@", "\uff20"]))
    normal = unicodedata.normalize("NFKC", local), unicodedata.normalize("NFKC", domain)
    return local + at + domain, *normal


@st.composite
def free_texts(draw: st.DrawFn) -> Plants:
    """A comment or transcript: words with one to three phone numbers and up to two email addresses among them."""
    plants = Plants(text="")
    pieces: list[str] = []
    items = draw(st.lists(st.sampled_from(["phone", "email"]), min_size=1, max_size=4))
    for item in items:
        pieces += draw(st.lists(WORDS, min_size=1, max_size=3))
        if item == "phone":
            number = draw(phone_numbers())
            if len(digits_of(unicodedata.normalize("NFKC", number))) < MIN_DIGITS:
                continue  # a few islands have shorter numbers: free text cannot tell them from amounts
            plants.numbers.append(digits_of(unicodedata.normalize("NFKC", number)))
            pieces.append(number)
        else:
            written, local, domain = draw(email_addresses())
            plants.emails.append((local, domain))
            pieces.append(written)
        pieces.append(draw(st.sampled_from([".", ",", "!", "?", ":", ";", ")", "»"])))
    plants.text = " ".join(pieces)
    return plants


def leaks(output: str, plants: Plants, *, masked_here: bool = True) -> list[str]:
    """What of the planted personal data survives in `output` (one field, line or cell of what was written).

    With `masked_here`, each planted email must also be shown masked (first character and domain) in `output`.
    """
    seen = unicodedata.normalize("NFKC", output)
    found: list[str] = []
    without_masks = _MASK.sub("#", seen)
    for digits in plants.numbers:
        head = digits[:-4]
        # The digits before the last 4, with anything but a digit between them: shown whole or in pieces.
        if re.search(r"\D{0,3}".join(head), without_masks):
            found.append(f"number {digits}")
    for local, domain in plants.emails:
        if local in seen or (masked_here and f"{local[:1]}***@{domain}" not in seen):
            found.append(f"email {local}@{domain}")
    return found
