"""What the Activity view shows for one local day, read off the GUI thread.

``load_day`` is a plain function (tested directly); ``DayLoader`` runs it as a ``BackgroundTask``
(the project's one way off the GUI thread) with that thread's own SQLite connection, closed when
the read ends, and hands the result back with ``loaded(object ActivityDay)`` on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from app.monitor.aggregates import TimelineEntry, compute_day, timeline_entries
from app.monitor.spans import Span
from app.monitor.store import MonitorStore
from app.monitor.timeutil import day_bounds_ms, local_zone_name
from app.ui.background import BackgroundTask

if TYPE_CHECKING:
    from app.profile import Profile

THUMB_WIDTH = 240


@dataclass
class ActivityDay:
    """Everything the Activity view shows for one local day, read off the GUI thread by ``load_day``."""

    day: date
    tz: str
    start_ms: int
    end_ms: int
    spans: list[Span] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    per_app: list[tuple[str, int, str]] = field(default_factory=list)      # (app, seconds, category)
    per_domain: list[tuple[str, int, str]] = field(default_factory=list)   # (domain, seconds, tag)
    productivity: dict[str, Any] = field(default_factory=dict)
    wellness: dict[str, Any] = field(default_factory=dict)
    screenshots: list[dict[str, Any]] = field(default_factory=list)        # rows + "thumbnail": QImage
    categories: dict[tuple[str, str], str] = field(default_factory=dict)   # (kind, label) -> category
    passive_seconds: int = 0   # active without input while media played (included in the active time)


def load_day(profile: Profile, day: date, tz: str | None = None, *, thumbnails: bool = True) -> ActivityDay:
    tz = tz or local_zone_name()
    zone = ZoneInfo(tz)
    store = MonitorStore(profile.db)
    lo, hi = day_bounds_ms(day, zone)
    spans = store.spans_between(lo, hi)
    result = ActivityDay(day=day, tz=tz, start_ms=lo, end_ms=hi, spans=spans, timeline=timeline_entries(spans))
    per_app: dict[str, dict[str, int]] = {}
    for span in spans:
        if span.status != "active":
            continue
        piece = min(span.end_ms, hi) - max(span.start_ms, lo)
        if piece <= 0:
            continue
        if span.passive:
            result.passive_seconds += piece // 1000
        bucket = per_app.setdefault(span.process_name or "Unknown", {})
        category = span.category or "neutral"
        bucket[category] = bucket.get(category, 0) + piece
        key = ("web", span.domain) if span.domain else ("app", span.process_name or "Unknown")
        result.categories.setdefault(key, category)
    result.per_app = sorted(
        ((app, sum(c.values()) // 1000, max(sorted(c), key=lambda k: c[k])) for app, c in per_app.items()),
        key=lambda row: (-row[1], row[0]))
    agg = compute_day(spans, day, zone, workday_hours=profile.settings.number("monitoring.workday_hours"))
    result.per_domain = sorted(((d, v["duration_seconds"], v["tag"]) for d, v in agg.website_usage.items()),
                               key=lambda row: (-row[1], row[0]))
    result.productivity, result.wellness = agg.productivity, agg.wellness
    data_dir = Path(profile.paths.data_dir)
    for row in store.screenshots_between(lo, hi):
        if thumbnails:
            image = QImage(str(data_dir / row["file_path"]))
            row["thumbnail"] = None if image.isNull() else image.scaledToWidth(
                THUMB_WIDTH, Qt.TransformationMode.SmoothTransformation)
        result.screenshots.append(row)
    return result


def _read_day(profile: Profile, day: date, tz: str | None) -> ActivityDay:
    try:
        return load_day(profile, day, tz)
    finally:
        profile.db.close_thread()  # each read has its own short-lived thread and connection


class DayLoader(QObject):
    """``load(day)`` reads one day in the background; only the latest request's result is delivered.

    Signals:
        loaded(object ActivityDay): the day requested last, on the GUI thread.
        failed(str message): a read could not be done (the message names the day).
    """

    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, profile: Profile, tz: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.tz = tz
        self._serial = 0

    def load(self, day: date) -> None:
        self._serial += 1
        serial, profile, tz = self._serial, self.profile, self.tz
        task = BackgroundTask(lambda _control: _read_day(profile, day, tz), self)
        # task's signals are emitted on the GUI thread, so these lambdas run there
        task.finished.connect(lambda result: self._deliver(serial, result))
        task.failed.connect(lambda message: self.failed.emit(f"Activity for {day} could not be read: {message}"))
        task.start()

    def _deliver(self, serial: int, result: ActivityDay) -> None:
        if serial == self._serial:  # only the latest request counts (quick date changes)
            self.loaded.emit(result)
