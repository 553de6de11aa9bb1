"""What the Activity view shows for one local day, read off the GUI thread.

``load_day`` is a plain function (tested directly); ``DayLoader`` runs it on the global
QThreadPool — each pool thread gets its own SQLite connection from the profile's factory — and
hands the result back with the queued signal ``loaded(object ActivityDay)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage

from app.monitor.aggregates import TimelineEntry, compute_day, timeline_entries
from app.monitor.spans import Span
from app.monitor.store import MonitorStore
from app.monitor.timeutil import day_bounds_ms, local_zone_name

log = logging.getLogger(__name__)
THUMB_WIDTH = 240


@dataclass
class ActivityDay:
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


def load_day(profile: Any, day: date, tz: str | None = None, *, thumbnails: bool = True) -> ActivityDay:
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
    agg = compute_day(spans, day, zone, workday_hours=float(profile.settings.get("monitoring.workday_hours", 8)))
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


class _LoadJob(QRunnable):
    def __init__(self, loader: DayLoader, profile: Any, day: date, tz: str | None, serial: int) -> None:
        super().__init__()
        self.loader, self.profile, self.day, self.tz, self.serial = loader, profile, day, tz, serial

    def run(self) -> None:
        try:
            result = load_day(self.profile, self.day, self.tz)
        except Exception as exc:  # noqa: BLE001 - reported to the view, never raised in a pool thread
            log.exception("activity for %s could not be read", self.day)
            self.loader.failed.emit(f"Activity for {self.day} could not be read: {exc}")
            return
        self.loader._deliver.emit(self.serial, result)


class DayLoader(QObject):
    """``load(day)`` reads in the background; ``loaded(ActivityDay)`` comes back on the GUI thread."""

    loaded = Signal(object)
    failed = Signal(str)
    _deliver = Signal(int, object)

    def __init__(self, profile: Any, tz: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.tz = tz
        self._serial = 0
        self._deliver.connect(self._on_deliver)

    def load(self, day: date) -> None:
        self._serial += 1
        QThreadPool.globalInstance().start(_LoadJob(self, self.profile, day, self.tz, self._serial))

    def _on_deliver(self, serial: int, result: object) -> None:
        if serial == self._serial:  # only the latest request counts (quick date changes)
            self.loaded.emit(result)
