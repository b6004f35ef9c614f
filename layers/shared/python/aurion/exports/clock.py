"""The export code's clock: aurion.clock's, under the name the export code and its tests use.

Tests move time instead of sleeping, by replacing either this `utcnow` (the export code only) or
`aurion.clock.now` (everything, this included).
"""

from __future__ import annotations

from datetime import datetime

from aurion import clock


def utcnow() -> datetime:
    return clock.now()
