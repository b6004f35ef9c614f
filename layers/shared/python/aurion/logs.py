"""The package logger: Powertools JSON logs with personal data and secrets scrubbed from every line.

Deliberately more conservative than aurion.redaction.redact_text (which serves transcripts and exports):
log lines are full of ids, ARNs and ISO timestamps that a free-text phone matcher would mangle.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from aurion.redaction import redact_log_line

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
    # Then the shapes these patterns miss (IDN emails, full-width digits, any separator): aurion.redaction's rules.
    return redact_log_line(text)


def scrub_fields(value: Any) -> Any:
    """Every text of a log record scrubbed, numbers left as they are: counts and durations (1,000,000 rows, a
    lag in seconds) are not phone numbers, and a masked number made the line invalid JSON. Our phone numbers are
    always text (E.164 strings); anything that is neither text nor a number is logged as its scrubbed str()."""
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {key: scrub_fields(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_fields(item) for item in value]
    return scrub(str(value))


class ScrubbingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log):  # type: ignore[no-untyped-def]
        return super().serialize(scrub_fields(log))


logger = Logger(service="aurion-analytics", logger_formatter=ScrubbingFormatter())


MAX_FRAMES = 12
_PACKAGE_ROOTS = ("site-packages/", "/python/", "/functions/")


def _where(frame: traceback.FrameSummary) -> str:
    path = frame.filename.replace("\\", "/")
    for root in _PACKAGE_ROOTS:  # the layer's /opt/python/, a venv's site-packages/, this repo's functions/
        if root in path:
            path = path.rsplit(root, 1)[1]
            break
    else:
        path = "/".join(path.split("/")[-2:])  # /var/task/app.py -> task/app.py
    return f"{path}:{frame.lineno} in {frame.name}"


def _cause_of(exc: BaseException) -> BaseException | None:
    return exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


def failure_fields(exc: BaseException) -> dict[str, Any]:
    """What a log line says about an unexpected exception: its type, the types of what caused it, and where it was
    raised (file, line and function of its innermost frames). Never its message, arguments, source lines or local
    values: a database error quotes the row it refused, a ValueError the input it could not read."""
    causes: list[str] = []
    cause = _cause_of(exc)
    while cause is not None and len(causes) < 5:
        causes.append(type(cause).__name__)
        cause = _cause_of(cause)
    frames = traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
    fields: dict[str, Any] = {"error_type": type(exc).__name__, "error_frames": [_where(frame) for frame in frames]}
    if causes:
        fields["error_causes"] = causes
    return fields


def log_failure(message: str, exc: BaseException, **extra: Any) -> None:
    """An unexpected exception, logged at ERROR by failure_fields (instead of logger.exception's traceback)."""
    logger.error(message, extra={**extra, **failure_fields(exc)}, stacklevel=2)  # located where it was called
