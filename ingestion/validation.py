"""Per-record validation (INGESTION_API.md §6) with the exact rejection order of §6.8.

Hand-written rather than pydantic: every failure must become one ``"<field>: <message>"`` string,
found in table order (presence, type, value) before unknown fields and cross-field checks, and the
valid records must come out as plain tuples ready to become one array per column. Pydantic models in
``schemas.py`` describe the same shapes for ``/openapi.json``. The checks of single values are in
``checks.py``; this module holds the streams made of them and the record and batch rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ingestion.checks import (
    MAX_AGE,
    MAX_SPAN,
    MISSING,
    ZONES,
    Check,
    Clock,
    Reject,
    Shape,
    boolean,
    calendar_date,
    choice,
    client_id,
    field_name,
    geo,
    integer,
    is_client_id,
    number,
    sha256_hex,
    text,
    time_zone,
    timestamp,
)

__all__ = ["MAX_AGE", "STREAMS", "SCREENSHOT_META", "ZONES", "Check", "Checked", "Clock", "Field", "Reject", "Shape",
           "Stream", "first_occurrences", "natural_key_width", "reduce_aggregates", "rejected_client_id",
           "validate_batch", "validate_record"]


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

    @cached_property
    def checks(self) -> tuple[tuple[str, Check, bool], ...]:
        """(name, check, nullable) per field: what ``validate_record`` runs, without attribute lookups."""
        return tuple((f.name, f.check, f.nullable) for f in self.fields)


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
    for name, check, nullable in stream.checks:
        value = get(name, MISSING)
        if value is None or value is MISSING:
            if nullable:
                append(None)
                continue
            raise Reject(name, "is required" if value is MISSING else "must not be null")
        append(check(value, name, clock))
    known = _KNOWN.get(stream.name)
    if known is None:  # a stream defined elsewhere (the worklog): derived once
        known = _KNOWN.setdefault(stream.name, stream.known)
    if not known.issuperset(record):
        for key in record:
            if key not in known:
                raise Reject(field_name(key), "extra field not permitted")
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
        if is_client_id(value):
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
