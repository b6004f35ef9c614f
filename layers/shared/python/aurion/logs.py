"""The package logger: Powertools JSON logs with personal data and secrets scrubbed from every line.

Deliberately more conservative than aurion.redaction.redact_text (which serves transcripts and exports):
log lines are full of ids, ARNs and ISO timestamps that a free-text phone matcher would mangle.
"""

from __future__ import annotations

import re

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_SCRUBBERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [REDACTED]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[REDACTED_TOKEN]"),
    (re.compile(r"itsm_sk_[A-Za-z0-9_]+"), "[REDACTED_API_KEY]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[REDACTED_EMAIL]"),
    # Phone numbers: international (+ then digits and separators), national 3-3-4 forms, bare 7-15 digit runs.
    # Dates and times (4-2-2, 2:2:2) do not match, so timestamps in log lines survive.
    (re.compile(r"\+\d[\d\s().-]{5,}\d"), "[REDACTED_NUMBER]"),
    (re.compile(r"\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}\b"), "[REDACTED_NUMBER]"),
    (re.compile(r"(?<![\w:-])\d{7,15}(?![\w:-])"), "[REDACTED_NUMBER]"),  # not ARN account ids
]


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text


class ScrubbingFormatter(LambdaPowertoolsFormatter):
    def format(self, record):  # type: ignore[no-untyped-def]
        return scrub(super().format(record))


logger = Logger(service="aurion-analytics", logger_formatter=ScrubbingFormatter())
