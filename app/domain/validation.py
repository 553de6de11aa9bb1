"""Checks and normalisation of week and task input; every problem is a ``ValidationError``.

The messages are written for a dialog: they name the field and say what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.domain.durations import EXAMPLES, parse_entry_duration
from app.domain.timeparse import format_duration
from app.domain.weeks import iso_week_start, normalise_week_label
from app.errors import ValidationError

MAX_TEXT = 10_000

TASK_TEXT_FIELDS = ("attempt_id", "project_id", "project_name", "operation_id", "feedback", "locale")
TASK_FIELDS = frozenset(
    (*TASK_TEXT_FIELDS, "duration_seconds", "duration", "time_limit_seconds", "time_limit", "date_audited",
     "score", "bonus_paid", "time_begin", "time_end", "week_id")
)
WEEK_FIELDS = frozenset(
    ("week_label", "week_start_day", "week_start_hour", "week_end_day", "week_end_hour", "is_custom_duration",
     "is_bonus_week", "bonus_rate", "bonus_threshold_seconds", "notes", "start_date")
)


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field}: must be text", field)
    if "\x00" in value:
        raise ValidationError(f"{field}: must not contain NUL characters", field)
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{field}: at most {MAX_TEXT:,} characters", field)
    return value


def _int_in(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        else:
            raise ValidationError(f"{field}: must be a whole number", field)
    if not low <= value <= high:
        raise ValidationError(f"{field}: must be between {low} and {high}", field)
    return value


def _flag(field: str, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if value in (0, 1):
        return int(value)
    raise ValidationError(f"{field}: must be yes or no", field)


def _duration(field: str, value: Any) -> int:
    """Seconds of a duration typed like in Toggl (``1:30`` = 1 h 30 min, ``90m``, ``1.5h``); ints are seconds."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return parse_entry_duration(value)
    except ValueError as exc:
        raise ValidationError(f"{field}: {exc}", field) from None


def duration_help() -> str:
    """The accepted duration forms, for placeholders and error messages."""
    return EXAMPLES


def _datetime(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).isoformat(timespec="seconds")
        except ValueError:
            pass
    raise ValidationError(f"{field}: use a date and time like 2026-11-26 09:30 (got {value!r})", field)


def _date(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            pass
    raise ValidationError(f"{field}: use a date like 2026-11-26 (got {value!r})", field)


def validate_task(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Normalised column values for ``tasks_optimized``.

    ``duration``/``time_limit`` may be given as text (``1:30``, ``90m``, ``1.5h``: ``app.domain.durations``)
    instead of ``*_seconds``; the ``*_display`` columns are derived. A blank score is ``None`` (no score).
    ``partial`` validates only the given keys (updates).
    """
    unknown = set(data) - TASK_FIELDS
    if unknown:
        raise ValidationError(f"unknown task field(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for field in TASK_TEXT_FIELDS:
        if field in data:
            out[field] = _text(field, data[field])
        elif not partial:
            out[field] = None
    for name in ("duration", "time_limit"):
        if f"{name}_seconds" in data:
            raw = data[f"{name}_seconds"]
        elif name in data:
            raw = data[name]
        elif partial:
            continue
        else:
            raw = 0
        seconds = _duration(name, raw)
        out[f"{name}_seconds"] = seconds
        out[f"{name}_display"] = format_duration(seconds)
    if "score" in data or not partial:
        raw_score = data.get("score")
        blank = raw_score is None or (isinstance(raw_score, str) and not raw_score.strip())
        out["score"] = None if blank else _int_in("score", raw_score, 0, 100)
    if "bonus_paid" in data or not partial:
        out["bonus_paid"] = _flag("bonus_paid", data.get("bonus_paid", 0) or 0)
    if "date_audited" in data or not partial:
        out["date_audited"] = _date("date_audited", data.get("date_audited"))
    for field in ("time_begin", "time_end"):
        if field in data or not partial:
            out[field] = _datetime(field, data.get(field))
    if "week_id" in data:
        out["week_id"] = _int_in("week_id", data["week_id"], 1, 2**62)
    return out


def span_seconds(time_begin: str | None, time_end: str | None) -> int | None:
    """Seconds from begin to end (negative when the end comes first); None unless both are set.

    A time with an offset beside one without is compared by its wall-clock reading.
    """
    if not (time_begin and time_end):
        return None
    begin, end = datetime.fromisoformat(time_begin), datetime.fromisoformat(time_end)
    if (begin.tzinfo is None) != (end.tzinfo is None):
        begin, end = begin.replace(tzinfo=None), end.replace(tzinfo=None)
    return int((end - begin).total_seconds())


def check_task_times(time_begin: str | None, time_end: str | None) -> None:
    span = span_seconds(time_begin, time_end)
    if span is not None and span < 0:
        raise ValidationError("time_end: the end is before the beginning", "time_end")


def validate_week(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Normalised ``weeks`` columns; an ISO label is upper-cased and, without a start date, dates the week."""
    unknown = set(data) - WEEK_FIELDS
    if unknown:
        raise ValidationError(f"unknown week field(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if "week_label" in data or not partial:
        label = _text("week_label", data.get("week_label"))
        if label is None or not label.strip():
            raise ValidationError("week_label: a week needs a label", "week_label")
        if len(label.strip()) > 200:
            raise ValidationError("week_label: at most 200 characters", "week_label")
        out["week_label"] = normalise_week_label(label)
    if "start_date" in data:
        out["start_date"] = _date("start_date", data["start_date"])
    elif not partial:
        start = iso_week_start(out["week_label"])
        out["start_date"] = start.isoformat() if start else None
    defaults = {"week_start_day": 0, "week_start_hour": 0, "week_end_day": 6, "week_end_hour": 23}
    for field, default in defaults.items():
        if field in data or not partial:
            high = 6 if field.endswith("_day") else 23
            out[field] = _int_in(field, data.get(field, default), 0, high)
    for field in ("is_custom_duration", "is_bonus_week"):
        if field in data or not partial:
            out[field] = _flag(field, data.get(field, 0) or 0)
    if "bonus_rate" in data or not partial:
        rate = data.get("bonus_rate", 0.0) or 0.0
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate != rate or not 0 <= rate <= 1e6:
            raise ValidationError("bonus_rate: must be a number between 0 and 1,000,000", "bonus_rate")
        out["bonus_rate"] = float(rate)
    if "bonus_threshold_seconds" in data or not partial:
        out["bonus_threshold_seconds"] = _duration("bonus_threshold", data.get("bonus_threshold_seconds", 0))
    if "notes" in data or not partial:
        out["notes"] = _text("notes", data.get("notes", "")) or ""
    return out
