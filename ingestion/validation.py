"""Per-record validation (INGESTION_API.md §6) with the exact rejection order of §6.8.

Hand-written rather than pydantic: every failure must become one ``"<field>: <message>"`` string,
found in table order (presence, type, value) before unknown fields and cross-field checks, and the
valid records must come out as plain tuples ready to become one array per column. Pydantic models in
``schemas.py`` describe the same shapes for ``/openapi.json``.
"""

from __future__ import annotations

import dataclasses
import re
import struct
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingestion.errors import safe_text

FUTURE_SLACK = timedelta(seconds=300)
MAX_AGE = timedelta(days=400)
MAX_SPAN = timedelta(seconds=86_400)

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TS_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_NIL_UUID = "00000000-0000-0000-0000-000000000000"
ZONES = frozenset(zoneinfo.available_timezones())
_MISSING = object()


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

    @property
    def latest(self) -> datetime:
        return self.now + FUTURE_SLACK

    @property
    def earliest(self) -> datetime:
        return self.now - MAX_AGE

    @property
    def latest_date(self) -> date:
        return self.now.date() + timedelta(days=1)

    @property
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


def _shaped(check: Check, shape: Shape) -> Check:
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

    return _shaped(check, Shape("str", "text", lo, hi))


def choice(*allowed: str) -> Check:
    options = frozenset(allowed)
    listed = ", ".join(allowed)

    def check(value: Any, name: str, clock: Clock) -> str:
        if _string(value, name) not in options:
            raise Reject(name, f"must be one of {listed}")
        return value

    return _shaped(check, Shape("choice", "text", options=tuple(allowed)))


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

    return _shaped(check, Shape("float", sql, lo, hi))


def integer(lo: int, hi: int) -> Check:
    def check(value: Any, name: str, clock: Clock) -> int:
        if type(value) is not int:
            raise Reject(name, "must be an integer")
        if not lo <= value <= hi:
            raise Reject(name, f"must be between {lo} and {hi}")
        return value

    return _shaped(check, Shape("int", "int4", lo, hi))


def boolean(value: Any, name: str, clock: Clock) -> bool:
    if type(value) is not bool:
        raise Reject(name, "must be a boolean")
    return value


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
    if _DATE_RE.fullmatch(value) is None:
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
        item = value.get(part, _MISSING)
        if item is _MISSING or item is None:
            raise Reject(f"{name}.{part}", "is required")
        coords.append(check(item, f"{name}.{part}", clock))
    for key in value:
        if key not in ("lat", "lon"):
            raise Reject(f"{name}.{_field_name(key)}", "extra field not permitted")
    return coords[0], coords[1]


def _field_name(key: str) -> str:
    return safe_text(key, 64)


_shaped(boolean, Shape("bool", "boolean"))
_shaped(client_id, Shape("str", "uuid", pattern="^" + _UUID_RE.pattern + "$"))
_shaped(timestamp, Shape("datetime", "timestamptz"))
_shaped(calendar_date, Shape("date", "date"))
_shaped(time_zone, Shape("str", "text", 1, 64))
_shaped(geo, Shape("geo", "float8"))


@dataclass(frozen=True)
class Field:
    """One record field: its name, its check (which carries its ``Shape``), whether null is allowed."""

    name: str
    check: Check
    nullable: bool = False

    @property
    def shape(self) -> Shape:
        shape: Shape = self.check.shape  # type: ignore[attr-defined]
        return shape

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(column, SQL type) pairs: one per field, two for ``geo`` (``<name>_lat``, ``<name>_lon``)."""
        if self.shape.kind == "geo":
            return [(f"{self.name}_lat", self.shape.sql), (f"{self.name}_lon", self.shape.sql)]
        return [(self.name, self.shape.sql)]


@dataclass(frozen=True)
class Stream:
    """A stream's one description: fields in table order (validation, SQL columns and the OpenAPI model
    all come from it) and, for aggregates, the natural key they upsert on."""

    name: str
    table: str
    fields: tuple[Field, ...]
    aggregate: bool
    spans: bool = False  # started_at/ended_at cross-field checks apply
    natural_key: tuple[str, ...] = ()  # aggregates only: columns besides device_id that identify a row
    model: str = ""  # the OpenAPI component name of a record (INGESTION_API.md §5.5)

    @property
    def known(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields) | {"emp_id"}

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(column, SQL type) in the order ``validate_record`` produces values."""
        return [column for field in self.fields for column in field.columns]


_SPAN = (
    Field("client_id", client_id),
    Field("started_at", timestamp),
    Field("ended_at", timestamp),
    Field("tz", time_zone),
)
_UPDATED = Field("updated_at", timestamp)
_SECONDS = integer(0, 86_400)
_PERCENT = number(0, 100)  # stored in ``real`` columns

STREAMS: dict[str, Stream] = {
    "heartbeats": Stream("heartbeats", "heartbeats", _SPAN + (
        Field("status", choice("active", "idle", "locked", "offline")),
        Field("cpu_percent", _PERCENT),
        Field("memory_percent", _PERCENT),
        Field("process_name", text(0, 256)),
        Field("window_title", text(0, 1024)),
        Field("domain", text(1, 253, lower=True), nullable=True),
        Field("url", text(1, 2048), nullable=True),
        Field("battery_level", _PERCENT, nullable=True),
        Field("battery_plugged", boolean, nullable=True),
        Field("geo", geo, nullable=True),
    ), aggregate=False, spans=True, model="HeartbeatRecord"),
    "timeline": Stream("timeline", "timeline", _SPAN + (
        Field("kind", choice("app", "web", "idle", "task")),
        Field("label", text(0, 1024)),
        Field("task_id", text(1, 128), nullable=True),
    ), aggregate=False, spans=True, model="TimelineRecord"),
    "website_usage": Stream("website_usage", "website_usage", (
        Field("client_id", client_id),
        Field("date", calendar_date),
        Field("domain", text(1, 253, lower=True)),
        Field("duration_seconds", _SECONDS),
        Field("tag", choice("productive", "unproductive", "neutral")),
        _UPDATED,
    ), aggregate=True, natural_key=("date", "domain"), model="WebsiteUsageRecord"),
    "productivity": Stream("productivity", "productivity", (
        Field("client_id", client_id),
        Field("date", calendar_date),
        Field("productive_seconds", _SECONDS),
        Field("unproductive_seconds", _SECONDS),
        Field("neutral_seconds", _SECONDS),
        Field("idle_seconds", _SECONDS),
        Field("score", _PERCENT),
        _UPDATED,
    ), aggregate=True, natural_key=("date",), model="ProductivityRecord"),
    "wellness": Stream("wellness", "wellness", (
        Field("client_id", client_id),
        Field("date", calendar_date),
        Field("active_seconds", _SECONDS),
        Field("break_count", integer(0, 1440)),
        Field("longest_streak_seconds", _SECONDS),
        Field("overtime_seconds", _SECONDS),
        _UPDATED,
    ), aggregate=True, natural_key=("date",), model="WellnessRecord"),
}


def sha256_hex(value: Any, name: str, clock: Clock) -> str:
    value = _string(value, name)
    if _SHA256_RE.fullmatch(value) is None:
        raise Reject(name, "must be 64 lower-case hexadecimal characters")
    return value


_shaped(sha256_hex, Shape("str", "text", pattern="^" + _SHA256_RE.pattern + "$"))


SCREENSHOT_META = Stream("screenshots", "screenshots", (
    Field("client_id", client_id),
    Field("captured_at", timestamp),
    Field("sha256", sha256_hex),
    Field("width", integer(1, 16_384)),
    Field("height", integer(1, 16_384)),
    Field("format", choice("png", "jpeg", "webp")),
    Field("blurred", boolean),
), aggregate=False, model="ScreenshotMeta")
_KNOWN = {name: stream.known for name, stream in (*STREAMS.items(), ("screenshots", SCREENSHOT_META))}


def validate_record(stream: Stream, record: Any, clock: Clock) -> list[Any]:
    """The record's values in field order, or raise :class:`Reject` with the first failure."""
    if type(record) is not dict:
        raise Reject("record", "must be an object")
    values: list[Any] = []
    append = values.append
    get = record.get
    for field in stream.fields:
        value = get(field.name, _MISSING)
        if value is None or value is _MISSING:
            if field.nullable:
                append(None)
                continue
            raise Reject(field.name, "is required" if value is _MISSING else "must not be null")
        append(field.check(value, field.name, clock))
    known = _KNOWN.get(stream.name)
    if known is None:  # a stream defined elsewhere (the worklog): derived once
        known = _KNOWN.setdefault(stream.name, stream.known)
    for key in record:
        if key not in known:
            raise Reject(_field_name(key), "extra field not permitted")
    if stream.spans:
        started, ended = values[1], values[2]
        if ended < started:
            raise Reject("ended_at", "before started_at")
        if ended - started > MAX_SPAN:
            raise Reject("ended_at", "span longer than 86400 s")
    return values


def rejected_client_id(record: Any) -> str | None:
    """``rejected[].client_id``: the value exactly as sent if it is a valid UUID string (§5.3)."""
    if type(record) is dict:
        value = record.get("client_id")
        if type(value) is str and _UUID_RE.fullmatch(value) is not None and value.lower() != _NIL_UUID:
            return value
    return None


@dataclass
class Checked:
    """Outcome of validating one batch: valid rows, each row's index in the request, rejections.

    Rows are sorted by their natural key (``client_id`` for append-only streams), so concurrent
    batches touching the same keys lock them in the same order and cannot deadlock.
    """

    rows: list[list[Any]]
    rejected: list[dict[str, Any]]
    duplicates: int = 0
    indexes: list[int] = dataclasses.field(default_factory=list)


def validate_batch(stream: Stream, records: Sequence[Any], clock: Clock) -> Checked:
    """Validate every record, then apply the in-batch rules of §7.2."""
    valid: list[tuple[int, list[Any]]] = []
    rejected: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        try:
            valid.append((index, validate_record(stream, record, clock)))
        except Reject as exc:
            rejected.append({"index": index, "client_id": rejected_client_id(record), "error": exc.text()})
    kept = reduce_aggregates(stream, valid) if stream.aggregate else first_occurrences(valid)
    kept.sort(key=_SORT_KEYS[stream.name])
    return Checked([row for _, row in kept], rejected, len(valid) - len(kept), [i for i, _ in kept])


def natural_key_width(stream: Stream) -> int:
    """Row slice ``[1:width]`` is an aggregate's natural key: date[, domain]."""
    return 3 if stream.name == "website_usage" else 2


Indexed = list[tuple[int, list[Any]]]
# Natural key of an (index, row) pair: client_id for append-only streams, date[, domain] otherwise.
_SORT_KEYS: dict[str, Callable[[tuple[int, list[Any]]], Any]] = {
    "heartbeats": lambda pair: pair[1][0],
    "timeline": lambda pair: pair[1][0],
    "website_usage": lambda pair: (pair[1][1], pair[1][2]),
    "productivity": lambda pair: pair[1][1],
    "wellness": lambda pair: pair[1][1],
}


def first_occurrences(rows: Indexed) -> Indexed:
    """Append-only: a ``client_id`` seen again later in the batch is a duplicate."""
    seen: set[str] = set()
    kept = []
    for pair in rows:
        if pair[1][0] not in seen:
            seen.add(pair[1][0])
            kept.append(pair)
    return kept


def reduce_aggregates(stream: Stream, rows: Indexed) -> Indexed:
    """Aggregates: one row per natural key, the latest ``updated_at`` (ties: the later index)."""
    width = natural_key_width(stream)
    best: dict[tuple[Any, ...], tuple[int, list[Any]]] = {}
    for pair in rows:
        row = pair[1]
        key = tuple(row[1:width])
        current = best.get(key)
        if current is None or row[-1] >= current[1][-1]:
            best[key] = pair
    return list(best.values())
