"""Personal data out of what we show and write: phone numbers, email addresses, free text.

One definition each, used by responses, exports and the audit log:
- a phone number is shown as `***-***-5678` (its last 4 digits), `***-***-****` when it has fewer than 4;
- an email address keeps its first character and its domain: `j***@example.com`;
- free text (transcripts, comments) has every phone number and email address inside it replaced that way.
"""

from __future__ import annotations

import logging
import re
from typing import Final

PHONE_MASK: Final = "***-***-"
NO_DIGITS: Final = "***-***-****"
EMAIL_MASK: Final = "***"

# A phone number inside text: an optional +, then digits in groups separated by at most one space, dot or dash,
# possibly with a parenthesised group ("+33 (0)6 12 34 56 78", "(555) 123-4567", "0612345678").
_PHONE_CANDIDATE = r"(?<![\w@+])\+?(?:\(\d{1,5}\)|\d)(?:[ .-]?(?:\(\d{1,5}\)|\d))*"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# Calendar dates are not phone numbers: 2026-03-29, 29.03.2026, 29/03/2026, 3/29/2026.
_DAY, _MONTH, _YEAR = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)\d{2}"
_DATE = (
    rf"(?<![\w+]){_YEAR}-{_MONTH}-{_DAY}(?![\w])"
    rf"|(?<![\w+])(?:{_DAY}[./]{_MONTH}|{_MONTH}/{_DAY})[./]{_YEAR}(?![\w])"
)
# Tried in this order at each position: an email (its digits are masked with it), a date (kept), a phone number.
_TEXT = re.compile(rf"(?P<email>{_EMAIL})|(?P<date>{_DATE})|(?P<phone>{_PHONE_CANDIDATE})")
# National numbers have at least 7 digits; shorter runs (times, amounts, ticket numbers) are left alone. Longer runs
# than E.164's 15 digits are redacted too: they are numbers run together, or card numbers.
_MIN_PHONE_DIGITS = 7


def digits_of(value: str) -> str:
    return "".join(char for char in value if char.isascii() and char.isdigit())


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


def _replace(match: re.Match[str]) -> str:
    if match.group("email"):
        return mask_email(match.group("email"))
    if match.group("date"):
        return match.group("date")
    candidate = match.group("phone")
    return redact_phone(candidate) if len(digits_of(candidate)) >= _MIN_PHONE_DIGITS else candidate


def redact_text(text: str | None) -> str | None:
    """Free text with every phone number (7 digits or more, calendar dates excepted) and email address redacted."""
    if text is None:
        return None
    return _TEXT.sub(_replace, text)


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
