"""The field checks of per-record validation (INGESTION_API.md §6): one function per kind of value.

Each check takes (value, field name, the request's Clock) and returns the value to store, or raises
:class:`Reject` with the contract's message. Each carries a :class:`Shape`, from which the SQL column types
(``ingest.py``) and the OpenAPI models (``schemas.py``) are derived. The streams built from these checks, and
the record and batch validation, are in ``validation.py``.
"""

from __future__ import annotations

import re
import struct
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from ingestion.errors import safe_text

FUTURE_SLACK = timedelta(seconds=300)
MAX_AGE = timedelta(days=400)
MAX_SPAN = timedelta(seconds=86_400)

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TS_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # YYYY-MM-DD only (fromisoformat takes more)
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_NIL_UUID = "00000000-0000-0000-0000-000000000000"
ZONES = frozenset(zoneinfo.available_timezones())
MISSING = object()


class Reject(Exception):
    """One record failed: ``field`` and ``message`` form the contract's error string."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field)
        self.field = field
        self.message = message

    def text(self) -> str:
        return safe_text(f"{self.field}: {self.message}", 300)


@dataclass(frozen=True)
class Clock:
    """One "now" per request (§2) and the time bounds derived from it (§3.4)."""

    now: datetime

    @classmethod
    def at(cls, now: datetime | None = None) -> Clock:
        return cls(now or datetime.now(UTC))

    # Computed once per request, not once per timestamp checked (two per heartbeat).
    @cached_property
    def latest(self) -> datetime:
        return self.now + FUTURE_SLACK

    @cached_property
    def earliest(self) -> datetime:
        return self.now - MAX_AGE

    @cached_property
    def latest_date(self) -> date:
        return self.now.date() + timedelta(days=1)

    @cached_property
    def earliest_date(self) -> date:
        return self.now.date() - MAX_AGE


Check = Callable[[Any, str, Clock], Any]


@dataclass(frozen=True)
class Shape:
    """What a check accepts: the one description the SQL column types (``ingest.py``) and the OpenAPI
    models (``schemas.py``) are derived from. ``kind`` is str, int, float, bool, datetime, date, choice or geo."""

    kind: str
    sql: str
    lo: float | None = None
    hi: float | None = None
    options: tuple[str, ...] = ()
    pattern: str | None = None


def shaped(check: Check, shape: Shape) -> Check:
    check.shape = shape  # type: ignore[attr-defined]
    return check


def _string(value: Any, name: str) -> str:
    if type(value) is not str:
        raise Reject(name, "must be a string")
    return value


def _clean(value: str, name: str) -> str:
    if "\x00" in value:
        raise Reject(name, "contains U+0000")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Reject(name, "contains an unpaired surrogate") from None
    return value


def text(lo: int, hi: int, lower: bool = False) -> Check:
    def check(value: Any, name: str, clock: Clock) -> str:
        value = _string(value, name)
        if not lo <= len(value) <= hi:
            raise Reject(name, f"length must be between {lo} and {hi} characters")
        value = _clean(value, name)
        return value.lower() if lower else value

    return shaped(check, Shape("str", "text", lo, hi))


def choice(*allowed: str) -> Check:
    options = frozenset(allowed)
    listed = ", ".join(allowed)

    def check(value: Any, name: str, clock: Clock) -> str:
        if _string(value, name) not in options:
            raise Reject(name, f"must be one of {listed}")
        return value

    return shaped(check, Shape("choice", "text", options=tuple(allowed)))


_FLOAT4 = struct.Struct("<f")


def to_float4(value: float) -> float:
    """The nearest ``real`` (IEEE single): PostgreSQL refuses a ``float8 -> real`` cast that
    underflows to zero (``1e-50``), so the value is rounded here, as the column would store it."""
    result: float = _FLOAT4.unpack(_FLOAT4.pack(value))[0]
    return result


def number(lo: float, hi: float, sql: str = "real") -> Check:
    """A JSON number in [lo, hi] for a ``sql`` column; a ``real`` one gets the value rounded to single
    precision, so every value that passes is storable (issue 13)."""
    single = sql == "real"

    def check(value: Any, name: str, clock: Clock) -> float:
        kind = type(value)
        if kind is not float and kind is not int:
            raise Reject(name, "must be a number")
        if not lo <= value <= hi:  # also false for inf (JSON 1e400) and huge integers
            raise Reject(name, f"must be between {lo:g} and {hi:g}")
        return to_float4(value) if single else float(value)

    return shaped(check, Shape("float", sql, lo, hi))


def integer(lo: int, hi: int) -> Check:
    def check(value: Any, name: str, clock: Clock) -> int:
        if type(value) is not int:
            raise Reject(name, "must be an integer")
        if not lo <= value <= hi:
            raise Reject(name, f"must be between {lo} and {hi}")
        return value

    return shaped(check, Shape("int", "int4", lo, hi))


def boolean(value: Any, name: str, clock: Clock) -> bool:
    if type(value) is not bool:
        raise Reject(name, "must be a boolean")
    return value


def is_client_id(value: Any) -> bool:
    """A string that ``client_id`` accepts (before lower-casing)."""
    return type(value) is str and _UUID_RE.fullmatch(value) is not None and value.lower() != _NIL_UUID


def client_id(value: Any, name: str, clock: Clock) -> str:
    value = _string(value, name)
    if _UUID_RE.fullmatch(value) is None:
        raise Reject(name, "must be a UUID in 8-4-4-4-12 hexadecimal form")
    value = value.lower()
    if value == _NIL_UUID:
        raise Reject(name, "must not be the nil UUID")
    return value


def timestamp(value: Any, name: str, clock: Clock) -> datetime:
    value = _string(value, name)
    if _TS_RE.fullmatch(value) is None:
        raise Reject(name, "must be an RFC 3339 timestamp with zone")
    try:
        parsed = datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):
        raise Reject(name, "is not a valid calendar time") from None
    if parsed > clock.latest:
        raise Reject(name, "more than 300 s in the future")
    if parsed < clock.earliest:
        raise Reject(name, "older than 400 days")
    return parsed


def calendar_date(value: Any, name: str, clock: Clock) -> date:
    value = _string(value, name)
    if DATE_RE.fullmatch(value) is None:
        raise Reject(name, "must be a date YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Reject(name, "is not a valid calendar date") from None
    if parsed > clock.latest_date:
        raise Reject(name, "more than 1 day in the future")
    if parsed < clock.earliest_date:
        raise Reject(name, "older than 400 days")
    return parsed


def time_zone(value: Any, name: str, clock: Clock) -> str:
    value = _string(value, name)
    if not 1 <= len(value) <= 64:
        raise Reject(name, "length must be between 1 and 64 characters")
    if value not in ZONES:
        raise Reject(name, "unknown time zone")
    return value


_lat = number(-90, 90, "float8")
_lon = number(-180, 180, "float8")


def geo(value: Any, name: str, clock: Clock) -> tuple[float, float]:
    if type(value) is not dict:
        raise Reject(name, "must be an object")
    coords = []
    for part, check in (("lat", _lat), ("lon", _lon)):
        item = value.get(part, MISSING)
        if item is MISSING or item is None:
            raise Reject(f"{name}.{part}", "is required")
        coords.append(check(item, f"{name}.{part}", clock))
    for key in value:
        if key not in ("lat", "lon"):
            raise Reject(f"{name}.{field_name(key)}", "extra field not permitted")
    return coords[0], coords[1]


def field_name(key: str) -> str:
    return safe_text(key, 64)


shaped(boolean, Shape("bool", "boolean"))
shaped(client_id, Shape("str", "uuid", pattern="^" + _UUID_RE.pattern + "$"))
shaped(timestamp, Shape("datetime", "timestamptz"))
shaped(calendar_date, Shape("date", "date"))
shaped(time_zone, Shape("str", "text", 1, 64))
shaped(geo, Shape("geo", "float8"))


def sha256_hex(value: Any, name: str, clock: Clock) -> str:
    value = _string(value, name)
    if _SHA256_RE.fullmatch(value) is None:
        raise Reject(name, "must be 64 lower-case hexadecimal characters")
    return value


shaped(sha256_hex, Shape("str", "text", pattern="^" + _SHA256_RE.pattern + "$"))
