"""What PostgreSQL said when it refused a statement: pg8000 carries the server's error fields in a dict.

aurion.db reads the SQLSTATE to tell a transient refusal (timeout, shutdown, deadlock) from a wrong request;
aurion.voice_params reads it with the message to tell a time zone this server's tz database lacks.
"""

from __future__ import annotations

from typing import Any

from pg8000.exceptions import DatabaseError


def _fields(exc: DatabaseError) -> dict[str, Any]:
    return exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}


def sqlstate(exc: DatabaseError) -> str | None:
    """The five-character SQLSTATE (field C), or None when pg8000 raised without the server's fields."""
    code = _fields(exc).get("C")
    return str(code) if code else None


def server_message(exc: DatabaseError) -> str:
    """The server's primary message (field M), '' when absent."""
    return str(_fields(exc).get("M", ""))
