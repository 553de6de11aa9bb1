"""Daily aggregates and timeline entries computed from spans (pure code).

A day is the local calendar day in the device's IANA zone; its UTC bounds come from zoneinfo, so
DST change days have 23 or 25 hours. Spans are clipped to the day before anything is summed.

* ``website_usage``: active seconds per domain; the tag is the category with most seconds there.
* ``productivity``: active seconds per category, idle seconds (``idle`` + ``locked``), and a
  score = 100 × (productive + ½ neutral) / active seconds (0 without active time).
* ``wellness``: active seconds; breaks = non-active stretches ≥ 5 min between active time;
  longest streak = the longest wall-clock stretch of activity not interrupted by a break;
  overtime = active seconds beyond ``workday_hours``.
* timeline entries: consecutive spans with the same (kind, label) joined; ``offline`` dropped.

Every seconds figure is capped at 86,400 (the contract's limit; a 25 h day could pass it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from app.monitor.timeutil import day_bounds_ms

BREAK_MS = 300_000
DAY_CAP = 86_400
TIMELINE_MAX_MS = 900_000


class SpanLike(Protocol):
    """What the aggregates need of a span (``Span`` and the journal's held spans both fit)."""

    start_ms: int
    end_ms: int
    status: str
    process_name: str
    domain: str | None
    category: str | None


@dataclass
class DayAggregates:
    """One local day's aggregate rows: per-site usage, productivity and wellness figures, as uploaded."""

    day: date
    website_usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    productivity: dict[str, Any] = field(default_factory=dict)
    wellness: dict[str, Any] = field(default_factory=dict)


def _clip(spans: Iterable[SpanLike], lo: int, hi: int) -> list[tuple[int, int, SpanLike]]:
    out = []
    for span in spans:
        start, end = max(span.start_ms, lo), min(span.end_ms, hi)
        if end > start:
            out.append((start, end, span))
    out.sort(key=lambda item: item[0])
    return out


def _secs(ms: int) -> int:
    return min(DAY_CAP, max(0, int(round(ms / 1000))))


def compute_day(
    spans: Iterable[SpanLike], day: date, zone: ZoneInfo, *, workday_hours: float = 8
) -> DayAggregates:
    lo, hi = day_bounds_ms(day, zone)
    pieces = _clip(spans, lo, hi)
    result = DayAggregates(day=day)

    per_domain: dict[str, dict[str, int]] = {}
    buckets = {"productive": 0, "unproductive": 0, "neutral": 0, "idle": 0}
    active_intervals: list[tuple[int, int]] = []
    for start, end, span in pieces:
        length = end - start
        if span.status == "active":
            category = span.category if span.category in ("productive", "unproductive") else "neutral"
            buckets[category] += length
            active_intervals.append((start, end))
            if span.domain:
                tags = per_domain.setdefault(span.domain, {})
                tags[category] = tags.get(category, 0) + length
        elif span.status in ("idle", "locked"):
            buckets["idle"] += length

    for domain, tags in sorted(per_domain.items()):
        total = sum(tags.values())
        tag = max(sorted(tags), key=lambda name: tags[name])
        result.website_usage[domain] = {"duration_seconds": _secs(total), "tag": tag}

    active_ms = buckets["productive"] + buckets["unproductive"] + buckets["neutral"]
    score = 0.0
    if active_ms:
        score = round(100.0 * (buckets["productive"] + 0.5 * buckets["neutral"]) / active_ms, 2)
    result.productivity = {
        "productive_seconds": _secs(buckets["productive"]),
        "unproductive_seconds": _secs(buckets["unproductive"]),
        "neutral_seconds": _secs(buckets["neutral"]),
        "idle_seconds": _secs(buckets["idle"]),
        "score": min(100.0, max(0.0, score)),
    }
    breaks, longest = _breaks_and_streak(active_intervals)
    result.wellness = {
        "active_seconds": _secs(active_ms),
        "break_count": min(1440, breaks),
        "longest_streak_seconds": _secs(longest),
        "overtime_seconds": _secs(max(0, active_ms - int(workday_hours * 3_600_000))),
    }
    return result


def _breaks_and_streak(intervals: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """Count gaps ≥ 5 min between active intervals and the longest stretch without one."""
    if not intervals:
        return 0, 0
    breaks = 0
    longest = 0
    run_start, run_end = intervals[0]
    for start, end in intervals[1:]:
        if start - run_end >= BREAK_MS:
            breaks += 1
            longest = max(longest, run_end - run_start)
            run_start = start
        run_end = max(run_end, end)
    longest = max(longest, run_end - run_start)
    return breaks, longest


# ---- timeline -----------------------------------------------------------------------------

@dataclass
class TimelineEntry:
    """One stretch of the user-facing timeline (``kind``: app, web, idle, away, task…) in ms, with its zone."""

    start_ms: int
    end_ms: int
    tz: str
    kind: str
    label: str
    client_id: str = ""


def timeline_kind_label(status: str, process_name: str, domain: str | None) -> tuple[str, str] | None:
    """The timeline's (kind, label) for a span; ``None`` for offline time."""
    if status == "idle":
        return "idle", "Idle"
    if status == "locked":
        return "idle", "Locked"
    if status != "active":
        return None
    if domain:
        return "web", domain
    return "app", process_name or "Unknown"


class TimelineBuilder:
    """Joins released spans into timeline entries; ``push`` returns the entries that closed.

    Entries close when the kind/label changes, spans stop being contiguous, or after 15 minutes
    (so a long stretch in one app still reaches the outbox regularly).
    """

    def __init__(self, max_ms: int = TIMELINE_MAX_MS, new_id: Any = None) -> None:
        import uuid

        self.max_ms = max_ms
        self._new_id = new_id or (lambda: str(uuid.uuid4()))
        self._open: TimelineEntry | None = None

    def push(self, span: Any) -> list[TimelineEntry]:
        kind_label = timeline_kind_label(span.status, span.process_name, span.domain)
        closed: list[TimelineEntry] = []
        current = self._open
        if current is not None and (
            kind_label is None or (current.kind, current.label) != kind_label
            or span.start_ms != current.end_ms or span.end_ms - current.start_ms > self.max_ms
        ):
            closed.append(self._finish())
        if kind_label is not None:
            if self._open is None:
                self._open = TimelineEntry(span.start_ms, span.end_ms, span.tz, *kind_label)
            else:
                self._open.end_ms = span.end_ms
        return closed

    def flush(self) -> list[TimelineEntry]:
        return [self._finish()] if self._open is not None else []

    @property
    def open_entry(self) -> TimelineEntry | None:
        """The entry still growing (journaled each tick so a crash does not lose it)."""
        return self._open

    def restore(self, entry: TimelineEntry | None) -> None:
        """Continue an entry read back from the journal after a restart."""
        self._open = entry

    def _finish(self) -> TimelineEntry:
        entry = self._open
        assert entry is not None
        self._open = None
        entry.client_id = self._new_id()
        return entry


def timeline_entries(spans: Iterable[Any]) -> list[TimelineEntry]:
    """Timeline entries of a list of spans (no time cap), for views."""
    builder = TimelineBuilder(max_ms=10**15, new_id=lambda: "")
    out: list[TimelineEntry] = []
    for span in sorted(spans, key=lambda s: s.start_ms):
        out.extend(builder.push(span))
    out.extend(builder.flush())
    return out
