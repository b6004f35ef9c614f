"""Personal data out of what we show and write: phone numbers, email addresses, free text.

One definition each, used by responses, exports, logs and the audit log:
- a phone number is shown as `***-***-5678` (its last 4 digits), `***-***-****` when it has fewer than 4;
- an email address keeps its first character and its domain: `j***@example.com`;
- free text (transcripts, comments, subjects) has every phone number and email address inside it replaced that way.

Free text is read as a person typed it, not as a form field, so its shapes are open-ended: full-width digits,
double spaces, slashes, underscores, en dashes, a number glued to a word. Three steps, each for a reason:
1. Unicode NFKC normalisation: full-width and other compatibility digits become ASCII digits, a full-width at
   sign becomes `@`, so every later step sees one alphabet (text that needs redacting is returned normalised);
2. Google's libphonenumber (the `phonenumbers` package, its data-only "lite" build) finds the numbers a human
   would write in the national formats of the regions we serve and in international form;
3. a safety net for what the library does not call a possible number: any 7 digits or more chained by at most two
   separators of any kind (any character that is neither a letter, a digit, `@`, `:` nor a line break) are
   redacted too: numbers run together, card numbers, unusual separators. Calendar dates are kept; times (`10:30:45`)
   never chain because `:` is not a separator.
Over-redaction (a long reference number in a transcript) is the accepted price: an export never carries a number.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

PHONE_MASK: Final = "***-***-"
NO_DIGITS: Final = "***-***-****"
EMAIL_MASK: Final = "***"

# National numbers have at least 7 digits; shorter runs (times, amounts, ticket numbers) are left alone.
_MIN_PHONE_DIGITS: Final = 7
# The regions whose national formats the library tries (international "+…" numbers are found for every region).
# Each costs a pass over the text; the safety net below catches any other region's national numbers.
PHONE_REGIONS: Final = ("US", "GB", "FR", "DE", "IN")

# An email address: a local part of anything but spaces, @, the brackets and quotes that surround an address in
# prose and the delimiters of a URL (RFC 6531 allows any Unicode there), and a domain of Unicode labels (`\w` is
# Unicode in Python: IDN domains such as müller.de) ending in a top-level domain of letters or punycode.
_EMAIL_LOCAL = r"[^\s@<>()\[\]{},;:\"'`|/\\=?&#\u00ab\u00bb\u2018\u2019\u201c\u201d]+"
_EMAIL = _EMAIL_LOCAL + r"@[\w-]+(?:\.[\w-]+)*\.(?:[^\W\d_]{2,}|xn--[\w-]+)"
# Calendar dates are not phone numbers: 2026-03-29, 29.03.2026, 29/03/2026, 3/29/2026.
_DAY, _MONTH, _YEAR = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)\d{2}"
_DATE = (
    rf"(?<!\d){_YEAR}-{_MONTH}-{_DAY}(?![\d/.-]?\d)"
    rf"|(?<!\d)(?:{_DAY}[./]{_MONTH}|{_MONTH}/{_DAY})[./]{_YEAR}(?![\d/.-]?\d)"
)
# Ids are not phone numbers either: a uuid's digit groups would chain across its dashes, and an ARN's account id
# is 12 digits (log lines name ARNs).
_UUID = r"(?<![\w-])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![\w-])"
_ARN = r"(?<![\w:])arn:[\w-]+:[\w-]+:[\w-]*:\d{12}:[^\s\"',]+"
# The safety net: digits chained by runs of one or two separators (anything but a letter, digit, @, :, + or newline).
_SEPARATOR = r"(?:[^\w@:+\n]|_)"
_DIGIT_CHAIN = rf"\+?\(?\d+(?:{_SEPARATOR}{{1,2}}\d+)*"
# Tried in this order at each position: an email (its digits go with it), a date or id (kept), a chain of digits.
_TEXT = re.compile(rf"(?P<email>{_EMAIL})|(?P<kept>{_DATE}|{_UUID}|{_ARN})|(?P<chain>{_DIGIT_CHAIN})")
# Cheap first test: text without 7 digits or an at-sign (in any script or width) needs no work at all.
_AT_SIGNS = frozenset("@\uff20\ufe6b")


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")


def digits_of(value: str) -> str:
    """The ASCII digits of `value`, in order (in C: it runs for every phone number of an export)."""
    return _NOT_ASCII_DIGIT.sub("", value)


def redact_phone(number: str | None) -> str:
    """`***-***-5678`: the last 4 digits only; `***-***-****` when there are fewer than 4 (or none)."""
    digits = digits_of(number or "")
    return PHONE_MASK + digits[-4:] if len(digits) >= 4 else NO_DIGITS


def mask_email(address: str | None) -> str:
    """`j***@example.com`: the first character of the local part and the domain; `***` without an @."""
    local, at, domain = (address or "").strip().rpartition("@")
    if not at or not domain:
        return EMAIL_MASK
    return f"{local[:1]}{EMAIL_MASK}@{domain}"


def may_hold_personal_data(text: str) -> bool:
    """False when `text` surely holds no phone number and no email: fewer than 7 digits of any script, no @."""
    # Runs on every free-text value of an export: both scans run in C, several times a loop over the characters.
    if not _AT_SIGNS.isdisjoint(text):
        return True
    return sum(map(str.isdigit, text)) >= _MIN_PHONE_DIGITS


def _library_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the phone numbers libphonenumber finds in `text` (imported here: only free text with digits needs
    it, and its metadata costs ~50 ms at first use, which a cold start of a function that never redacts text
    should not pay)."""
    import phonenumbers

    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            yield match.start, match.end


def redact_text(text: str | None) -> str | None:
    """Free text with every phone number (7 digits or more, calendar dates excepted) and email address redacted."""
    if text is None or not may_hold_personal_data(text):
        return text
    return _redact(unicodedata.normalize("NFKC", text), library=True)


def redact_log_line(line: str) -> str:
    """A log line with the phone numbers and emails that the logger's own patterns (aurion.logs) do not know
    redacted: steps 1 and 3 only. The library would cost every function ~50 ms of its first log line at cold start,
    and every number it finds in prose, the safety net finds in a log line too (ids, ARNs and timestamps are kept).
    """
    if not may_hold_personal_data(line):
        return line
    return _redact(unicodedata.normalize("NFKC", line), library=False)


def _redact(normal: str, *, library: bool) -> str:
    emails: list[tuple[int, int]] = []
    kept: list[tuple[int, int]] = []
    numbers: list[tuple[int, int]] = []
    for match in _TEXT.finditer(normal):
        span = match.span()
        if match.group("email"):
            emails.append(span)
        elif match.group("kept"):
            kept.append(span)
        elif len(digits_of(match.group("chain"))) >= _MIN_PHONE_DIGITS:
            numbers.append(span)
    # Where regions read the same digits differently ("0612345678 - 5" is one German number, or a French one and
    # a 5), the shortest reading wins: the chains still cover every digit a longer reading would have added.
    taken = emails + kept
    found = _library_numbers(normal) if library else iter(())
    for start, end in sorted(set(found), key=lambda span: span[1] - span[0]):
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        if len(digits_of(normal[start:end])) >= _MIN_PHONE_DIGITS:
            taken.append((start, end))
            numbers.append((start, end))
    # A number the library found inside a longer chain (or the other way round) is redacted as one piece.
    replacements = [(start, end, mask_email(normal[start:end])) for start, end in emails]
    for start, end in _merged(numbers):
        replacements.append((start, end, redact_phone(normal[start:end])))
    pieces: list[str] = []
    position = 0
    for start, end, replacement in sorted(replacements):
        pieces += [normal[position:start], replacement]
        position = end
    pieces.append(normal[position:])
    return "".join(pieces)


def redacted_fields(row: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The free-text fields `names` of a row, each redacted by redact_text (None stays None)."""
    return {name: redact_text(row[name]) for name in names}


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class RedactingFilter(logging.Filter):
    """Rewrites a third-party logger's records with phone numbers and emails redacted.

    Powertools' resolver logs the route arguments (the searched phone number among them) at DEBUG; our own
    logger is scrubbed by its formatter, but theirs writes through whatever handler the runtime installed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Calling API Route Handler"):
            message = "Calling API Route Handler: [arguments not logged]"
        record.msg, record.args = redact_text(message), None
        return True


_PROTECTED_LOGGERS = (
    "aws_lambda_powertools.event_handler.api_gateway",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
)


def protect_framework_logs() -> None:
    """Attach RedactingFilter to the framework loggers that see request parameters (idempotent)."""
    for name in _PROTECTED_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactingFilter) for existing in target.filters):
            target.addFilter(RedactingFilter())
