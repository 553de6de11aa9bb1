"""Durations as people type them into Toggl or Clockify, for the task dialog and the task CLI.

Accepted (spaces and case do not matter):

* ``1:30`` — hours and minutes (1 h 30 min, not MM:SS); ``1:30:00`` — hours, minutes, seconds;
* units, alone or combined: ``90m``, ``1h30m``, ``1h 30m 10s``, ``1.5h``, ``45 min``, ``30s``, ``2 hours``;
* a plain number is minutes, as in Toggl: ``95`` is 1 h 35 min, ``2.5`` is 2 min 30 s.

Seconds are whole (``1.5m`` is 90 s; ``0.5s`` is refused). Empty text is 0. The legacy import keeps
its own documented formats (``app.domain.timeparse``: ``125:30`` is MM:SS there).
"""

from __future__ import annotations

import re

from app.domain.timeparse import MAX_DURATION_SECONDS

EXAMPLES = "1:30, 1:30:00, 90m, 1h30m, 1.5h, 45m, 30s or minutes (95)"

_NUMBER = r"\d+(?:[.,]\d+)?"
_CLOCK = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")
_PLAIN = re.compile(rf"^({_NUMBER})$")
_UNIT_PART = re.compile(rf"({_NUMBER})\s*([a-z]+)")
_UNITS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
}


class DurationError(ValueError):
    """Text that is not a duration, a negative one, or one too long to be a task."""


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _whole_seconds(value: float, original: str) -> int:
    seconds = round(value, 6)
    if not float(seconds).is_integer():
        raise DurationError(f"{original!r} is not a whole number of seconds")
    return int(seconds)


def _units(text: str, original: str) -> int | None:
    """Seconds of ``1h30m``-style text, or None when it is not made of number+unit parts."""
    position, total, seen = 0, 0.0, set()
    for match in _UNIT_PART.finditer(text):
        if text[position:match.start()].strip():
            return None
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise DurationError(f"unknown unit {match.group(2)!r} in {original!r} (use h, m or s)")
        if unit in seen:
            raise DurationError(f"{original!r} names the same unit twice")
        seen.add(unit)
        total += _number(match.group(1)) * unit
        position = match.end()
    if not seen or text[position:].strip():
        return None
    return _whole_seconds(total, original)


def parse_entry_duration(value: object) -> int:
    """Seconds in ``value`` as typed by a person; ``None`` or blank is 0.

    Integers are taken as seconds (what programs pass); text follows the module's rules.
    Raises ``DurationError`` (a ``ValueError``) naming what is wrong.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise DurationError(f"not a duration: {value!r}")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        raise DurationError(f"not a duration: {value!r}")
    if seconds < 0:
        raise DurationError("a duration cannot be negative")
    if seconds > MAX_DURATION_SECONDS:
        raise DurationError(f"{describe_duration(seconds)} is more than 1000 hours: not a plausible task time")
    return seconds


def _parse_text(value: str) -> int:
    text = value.strip().lower()
    if not text:
        return 0
    if text.startswith("-"):
        raise DurationError("a duration cannot be negative")
    if match := _CLOCK.match(text):
        hours, minutes, seconds = match.group(1), match.group(2), match.group(3) or "0"
        return int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if match := _PLAIN.match(text):
        return _whole_seconds(_number(match.group(1)) * 60, value)
    seconds = _units(text, value)
    if seconds is None:
        raise DurationError(f"not a duration: {value!r} (use {EXAMPLES})")
    return seconds


def describe_duration(seconds: int) -> str:
    """How the dialog confirms a duration: ``1 h 30 min``, ``1 h 00 min 05 s``, ``45 min``, ``30 s``."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min" + (f" {secs:02d} s" if secs else "")
    if minutes:
        return f"{minutes} min" + (f" {secs:02d} s" if secs else "")
    return f"{secs} s"
