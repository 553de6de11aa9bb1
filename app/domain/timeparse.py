"""Durations as people type them: ``HH:MM:SS``, ``H:MM:SS``, ``MM:SS`` or plain seconds."""

from __future__ import annotations

import re

MAX_DURATION_SECONDS = 1000 * 3600  # anything longer is a typo, not a task

_THREE = re.compile(r"^(\d+):([0-5]?\d):([0-5]?\d)$")
_TWO = re.compile(r"^(\d+):([0-5]?\d)$")
_SECONDS = re.compile(r"^\d+$")


def parse_duration(value: object) -> int:
    """Seconds in ``value``; empty or ``None`` is 0. Raises ``ValueError`` when unparseable.

    ``MM:SS`` may have more than 59 minutes (``125:30`` is 2 h 5 min 30 s); in ``H:MM:SS`` minutes
    and seconds stay below 60. Integers are taken as seconds.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"negative duration: {value}")
        return value
    if isinstance(value, float):
        if value < 0 or value != value or value == float("inf") or not value.is_integer():
            raise ValueError(f"not a whole number of seconds: {value!r}")
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r}")
    text = value.strip()
    if not text:
        return 0
    if match := _THREE.match(text):
        hours, minutes, seconds = (int(g) for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    if match := _TWO.match(text):
        minutes, seconds = (int(g) for g in match.groups())
        return minutes * 60 + seconds
    if _SECONDS.match(text):
        return int(text)
    raise ValueError(f"not a duration (use HH:MM:SS, MM:SS or seconds): {value!r}")


def format_duration(seconds: int) -> str:
    """``HH:MM:SS`` with at least two hour digits (``125:03:09`` for long totals)."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"
