"""Record rules of the worklog streams ``weeks`` and ``tasks`` (INGESTION_API.md §6.9-§6.10).

Built from the shared checks of ``ingestion.checks`` so the rejection order and messages (§6.8) are the
same as for the monitoring streams. Differences: no 400-day age limit anywhere, the app's own time strings are
plain bounded text (they travel unchanged), and ``updated_at``/``deleted_at`` are the sync clock in one exact
format (UTC, milliseconds) so every device's clock compares the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ingestion.checks import DATE_RE, Check, Clock, Reject, Shape, boolean, client_id, integer, shaped, text
from ingestion.validation import Field, Stream, rejected_client_id, validate_record

INT4_MAX = 2_147_483_647
INT4_MIN = -2_147_483_648
_SYNC_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc


def sync_time(value: Any, name: str, clock: Clock) -> datetime:
    """``updated_at``/``deleted_at``: ``YYYY-MM-DDTHH:MM:SS.mmmZ``, a real calendar time, at most now + 300 s."""
    if type(value) is not str:
        raise Reject(name, "must be a string")
    if _SYNC_RE.fullmatch(value) is None:
        raise Reject(name, "must be YYYY-MM-DDTHH:MM:SS.mmmZ (UTC, milliseconds)")
    try:
        parsed = datetime.fromisoformat(value)  # the pattern fixed the form; this checks the calendar
    except ValueError:
        raise Reject(name, "is not a valid calendar time") from None
    if parsed > clock.latest:
        raise Reject(name, "more than 300 s in the future")
    return parsed


def plain_date(value: Any, name: str, clock: Clock) -> date:
    """A calendar date ``YYYY-MM-DD`` without time bounds (a week of 2019 is as valid as this week's)."""
    if type(value) is not str:
        raise Reject(name, "must be a string")
    if DATE_RE.fullmatch(value) is None:
        raise Reject(name, "must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Reject(name, "is not a valid calendar date") from None


def rate(value: Any, name: str, clock: Clock) -> float:
    """A finite JSON number >= 0 that fits ``double precision`` (a huge integer does not)."""
    if type(value) is not float and type(value) is not int:
        raise Reject(name, "must be a number")
    try:
        result = float(value)
    except OverflowError:
        raise Reject(name, "must be a finite number >= 0") from None
    if not math.isfinite(result) or result < 0:
        raise Reject(name, "must be a finite number >= 0")
    return result


_bounded_label = text(1, 100)


def label(value: Any, name: str, clock: Clock) -> str:
    """A week label: 1-100 characters without control characters (it names the week in every list)."""
    checked: str = _bounded_label(value, name, clock)
    if _CONTROL_RE.search(checked):
        raise Reject(name, "contains a control character")
    return checked


shaped(sync_time, Shape("str", "timestamptz", pattern="^" + _SYNC_RE.pattern + "$"))
shaped(plain_date, Shape("date", "date"))
shaped(rate, Shape("float", "float8", 0, None))
shaped(label, Shape("str", "text", 1, 100))

_APP_TIME = text(0, 40)  # the app's own time strings, unchanged
_LONG = text(0, 10_000)
_COUNT = integer(0, INT4_MAX)
_SYNC = (
    Field("created_at", _APP_TIME),
    Field("updated_at", sync_time),
    Field("deleted_at", sync_time, nullable=True),
)

WEEKS = Stream("weeks", "worklog_weeks", (
    Field("client_id", client_id),
    Field("week_label", label),
    Field("start_date", plain_date, nullable=True),
    Field("week_start_day", integer(0, 6)),
    Field("week_start_hour", integer(0, 23)),
    Field("week_end_day", integer(0, 6)),
    Field("week_end_hour", integer(0, 23)),
    Field("is_custom_duration", boolean),
    Field("is_bonus_week", boolean),
    Field("bonus_rate", rate),
    Field("bonus_threshold_seconds", _COUNT),
    Field("notes", _LONG),
    *_SYNC,
), aggregate=False, model="WeekRecord")

TASKS = Stream("tasks", "worklog_tasks", (
    Field("client_id", client_id),
    Field("week_client_id", client_id),
    Field("attempt_id", _LONG, nullable=True),
    Field("duration_seconds", _COUNT),
    Field("project_id", _LONG, nullable=True),
    Field("project_name", _LONG, nullable=True),
    Field("operation_id", _LONG, nullable=True),
    Field("time_limit_seconds", _COUNT),
    Field("date_audited", _APP_TIME, nullable=True),
    Field("score", integer(INT4_MIN, INT4_MAX), nullable=True),
    Field("feedback", _LONG, nullable=True),
    Field("locale", _LONG, nullable=True),
    Field("bonus_paid", boolean),
    Field("time_begin", _APP_TIME, nullable=True),
    Field("time_end", _APP_TIME, nullable=True),
    *_SYNC,
), aggregate=False, model="TaskRecord")

WORKLOG_STREAMS = {"weeks": WEEKS, "tasks": TASKS}
UPDATED_AT = -2  # position of updated_at in a validated row (deleted_at is last)


@dataclass
class Version:
    """One valid record: its index in the request, its values in field order, and the history identity."""

    index: int
    row: list[Any]
    record: str  # the validated record as canonical JSON (history ``record``)
    digest: bytes  # SHA-256 of the sending device and ``record``: equal digest = the same version

    @property
    def client_id(self) -> str:
        value: str = self.row[0]
        return value

    @property
    def updated_at(self) -> datetime:
        value: datetime = self.row[UPDATED_AT]
        return value


@dataclass
class CheckedWorklog:
    """A validated worklog batch: every distinct valid version (for the history), the rejections, the
    number of valid records, and ``current``: one winner per ``client_id`` in ``client_id`` order (the
    deterministic lock order)."""

    versions: list[Version]
    rejected: list[dict[str, Any]]
    valid: int
    current: list[Version] = field(default_factory=list)


def _names(stream: Stream) -> tuple[str, ...]:
    return tuple(f.name for f in stream.fields)


_NAMES = {name: _names(stream) for name, stream in WORKLOG_STREAMS.items()}
# Fields whose validated value is no JSON value: dates go back to ISO text, the sync clock to the text sent.
def _positions(stream: Stream, check: Check) -> tuple[int, ...]:
    return tuple(i for i, f in enumerate(stream.fields) if f.check is check)


_DATES = {name: _positions(stream, plain_date) for name, stream in WORKLOG_STREAMS.items()}
_CLOCKS = {name: _positions(stream, sync_time) for name, stream in WORKLOG_STREAMS.items()}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _document(stream: Stream, values: list[Any], raw: dict[str, Any]) -> str:
    """The validated record as compact JSON in field order (the history's ``record``, and its digest input)."""
    doc = list(values)
    for i in _DATES[stream.name]:
        if doc[i] is not None:
            doc[i] = doc[i].isoformat()
    names = _NAMES[stream.name]
    for i in _CLOCKS[stream.name]:
        if doc[i] is not None:
            doc[i] = raw[names[i]]
    return _dumps(dict(zip(names, doc, strict=True)))


def validate_worklog(stream: Stream, records: Sequence[Any], clock: Clock, device_id: int) -> CheckedWorklog:
    """Validate every record (§6.8 order) and pick each ``client_id``'s winner within the batch:
    the latest ``updated_at``, on a tie the later index (all records of a batch come from one device)."""
    versions: list[Version] = []
    rejected: list[dict[str, Any]] = []
    seen: set[bytes] = set()
    best: dict[str, Version] = {}
    for index, record in enumerate(records):
        try:
            row = validate_record(stream, record, clock)
        except Reject as exc:
            rejected.append({"index": index, "client_id": rejected_client_id(record), "error": exc.text()})
            continue
        document = _document(stream, row, record)
        digest = hashlib.sha256(f"{device_id}:{document}".encode()).digest()
        version = Version(index, row, document, digest)
        if digest not in seen:
            seen.add(digest)
            versions.append(version)
        current = best.get(version.client_id)
        if current is None or version.updated_at >= current.updated_at:
            best[version.client_id] = version
    return CheckedWorklog(versions, rejected, len(records) - len(rejected),
                          sorted(best.values(), key=lambda v: v.client_id))
