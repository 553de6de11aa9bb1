"""Time helpers: instants are integer milliseconds since the epoch (UTC), days are local dates.

Integer milliseconds keep span arithmetic exact (no float drift when summing a day), and the
RFC 3339 form with a ``Z`` is what the outbox stores and the contract (§3.4) accepts.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_to_iso(ms: int) -> str:
    """``2026-11-26T06:00:00.123Z`` for an epoch-millisecond instant."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_to_ms(text: str) -> int:
    """Parse an RFC 3339 timestamp (any offset) into epoch milliseconds."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def now_ms() -> int:
    import time as _time

    return int(_time.time() * 1000)


def day_bounds_ms(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """UTC bounds ``[start, end)`` of a local calendar day; 23 h or 25 h on DST change days."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return _to_ms(start), _to_ms(end)


def local_date(ms: int, zone: ZoneInfo) -> date:
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(zone).date()


def days_touched(start_ms: int, end_ms: int, zone: ZoneInfo) -> list[date]:
    """Local dates that the interval ``[start, end]`` touches, in order."""
    first, last = local_date(start_ms, zone), local_date(max(start_ms, end_ms - 1), zone)
    out = [first]
    while out[-1] < last:
        out.append(out[-1] + timedelta(days=1))
    return out


def _to_ms(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def local_zone_name() -> str:
    """The device's IANA zone name: ``TZ``, ``/etc/timezone``, the ``/etc/localtime`` link, else UTC."""
    candidates: list[str] = []
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        candidates.append(env)
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if is_valid_zone(name):
            return name
    return "UTC"


def is_valid_zone(name: str) -> bool:
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
