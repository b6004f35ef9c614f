"""Reading a request body as JSON within bounds a request can hold, so that no body is a 500.

json.loads recurses once per nesting level: 5,000 nested arrays raise RecursionError. Python refuses to convert
an integer of more than 4,300 digits (ValueError, its guard against quadratic conversions). Both escaped as
unhandled errors. Here each is a json.JSONDecodeError at the position of the offending bracket or number, which
the resolver answers like any other invalid JSON: a 422 on ["body", position]. No body of this API nests more
than an object or two.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

MAX_DEPTH: Final = 32
# Python's default int_max_str_digits: what int() itself would refuse.
MAX_INTEGER_DIGITS: Final = 4300

# A JSON string is matched whole, so that brackets and digits inside it do not count.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRINGS = re.compile(_STRING)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STRING_OR_BRACKET = re.compile(_STRING + r"|[\[{\]}]")
# A run of digits longer than any integer may be (the lookbehind tries each run once, not each of its digits).
_STRING_OR_LONG_RUN = re.compile(_STRING + rf"|(?<![0-9])[0-9]{{{MAX_INTEGER_DIGITS + 1},}}")


class _IntegerTooLong(ValueError):
    pass


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _IntegerTooLong(text)
    return int(text)


def _may_be_too_deep(text: str) -> bool:
    """At C speed: the brackets outside strings, innermost pairs removed MAX_DEPTH times; any left over were
    nested deeper (or do not pair up, which json.loads will report)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text)).replace("{", "[").replace("}", "]")
    for _ in range(MAX_DEPTH):
        if not brackets:
            return False
        brackets = brackets.replace("[]", "")
    return bool(brackets)


def _too_deep(text: str) -> json.JSONDecodeError | None:
    """The error at the first bracket nested deeper than MAX_DEPTH, if any (a walk, token by token)."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return json.JSONDecodeError(f"Nested deeper than {MAX_DEPTH} levels", text, match.start())
        elif token in "]}":
            depth -= 1
    return None


def _long_integer_at(text: str) -> int:
    runs = (match.start() for match in _STRING_OR_LONG_RUN.finditer(text) if match.group()[0] != '"')
    return next(runs, 0)


def read_json(text: str | bytes | bytearray) -> Any:
    """json.loads for request bodies; raises json.JSONDecodeError for a body past MAX_DEPTH or MAX_INTEGER_DIGITS."""
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8")
    # Checked before parsing: json.loads would recurse once per level. Few bodies have brackets enough to count.
    if text.count("[") + text.count("{") > MAX_DEPTH and _may_be_too_deep(text) and (error := _too_deep(text)):
        raise error
    try:
        return json.loads(text, parse_int=_integer)
    except _IntegerTooLong:
        message = f"An integer of more than {MAX_INTEGER_DIGITS} digits"
        raise json.JSONDecodeError(message, text, _long_integer_at(text)) from None
