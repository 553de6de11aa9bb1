"""The Activity view: a day's timeline coloured by category, totals per app and per domain,
productivity and wellness figures, and the screenshot gallery (view / delete).

Embed: ``view = ActivityView(profile)`` and add it as a page or tab. It loads today on first
show; ``refresh()`` reloads (connect ``MonitorAgent.spansWritten``/``screenshotTaken`` to it if
the view should follow live). Reading happens on the thread pool (``DayLoader``). While today is shown,
the spans still in progress (the monitor's journal) are re-read every ``IN_PROGRESS_MS`` and shown hatched
with a line explaining why they are not final yet.
Signals: ``dayLoaded(str iso_date)`` after the widgets show a newly read day.
"""

from __future__ import annotations

import html
import sqlite3
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import StorageError
from app.monitor.aggregates import timeline_entries
from app.monitor.runner import hold_seconds
from app.ui.activity.data import ActivityDay, DayLoader
from app.ui.activity.gallery import ScreenshotGallery
from app.ui.activity.in_progress import InProgressPanel, read_in_progress
from app.ui.activity.timeline_bar import COLORS, TimelineBar

if TYPE_CHECKING:
    from app.profile import Profile

IN_PROGRESS_MS = 5000


def format_seconds(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def my_data_url(base_url: str) -> str | None:
    """The server's "My data" page for a configured base URL, or None when there is no usable http(s) URL."""
    base = base_url.strip()
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return base.rstrip("/") + "/me"


def _totals_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, int, str]]) -> None:
    table.setRowCount(len(rows))
    for index, (name, seconds, category) in enumerate(rows):
        table.setItem(index, 0, QTableWidgetItem(name))
        table.setItem(index, 1, QTableWidgetItem(format_seconds(seconds)))
        cat = QTableWidgetItem(category)
        cat.setForeground(COLORS.get(category, COLORS["neutral"]))
        table.setItem(index, 2, cat)


class ActivityView(QWidget):
    """The Activity tab: one local day's timeline, per-app and per-site times, screenshots and held spans.

    Signals:
        dayLoaded(str day): the day (ISO date) was read in the background and is now shown.
    """

    dayLoaded = Signal(str)

    def __init__(self, profile: Profile, parent: QWidget | None = None, *, tz: str | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.loader = DayLoader(profile, tz, self)
        self.current: ActivityDay | None = None
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.today_button = QPushButton("Today")
        self.refresh_button = QPushButton("Refresh")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.status = QLabel("")
        self.server_link = QLabel()  # the server's "My data" page, when a server is set up (issue 17)
        self.server_link.setObjectName("serverDataLink")
        self.server_link.setTextFormat(Qt.TextFormat.RichText)
        self.server_link.setOpenExternalLinks(True)
        self.update_server_link()
        self.timeline = TimelineBar()
        self.in_progress = InProgressPanel()
        self.in_progress_timer = QTimer(self)
        self.in_progress_timer.setInterval(IN_PROGRESS_MS)
        self.apps = _totals_table(["Application", "Time", "Category"])
        self.domains = _totals_table(["Web site", "Time", "Tag"])
        self.gallery = ScreenshotGallery(profile)
        totals = QSplitter()
        totals.addWidget(self.apps)
        totals.addWidget(self.domains)
        self.tabs = QTabWidget()
        self.tabs.addTab(totals, "Totals")
        self.tabs.addTab(self.gallery, "Screenshots")
        top = QHBoxLayout()
        top.addWidget(QLabel("Day:"))
        top.addWidget(self.date_edit)
        top.addWidget(self.today_button)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        top.addWidget(self.status)
        top.addWidget(self.server_link)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.timeline)
        layout.addWidget(self._legend())
        layout.addWidget(self.in_progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        self._loaded_once = False
        self._connect_signals()

    def update_server_link(self) -> None:
        """Show "See what the server stores about you" (``SERVER_URL/me``) when an http(s) server is set up."""
        url = my_data_url(str(self.profile.settings.get("ingestion.api.base_url") or ""))
        self.server_link.setText(f'<a href="{html.escape(url, quote=True)}">See what the server stores about you</a>'
                                 if url else "")
        self.server_link.setToolTip(url or "")
        self.server_link.setVisible(bool(url))

    def _legend(self) -> QLabel:
        parts = [f'<span style="color:{c.name()}">■</span> {name}' for name, c in COLORS.items()]
        return QLabel("  ".join(parts))

    def _connect_signals(self) -> None:
        self.date_edit.dateChanged.connect(lambda _d: self.refresh())
        self.today_button.clicked.connect(lambda: self.show_day(date.today()))
        self.refresh_button.clicked.connect(self.refresh)
        self.loader.loaded.connect(self._show)
        self.loader.failed.connect(self.status.setText)
        self.gallery.screenshotDeleted.connect(lambda _id: self.status.setText("Screenshot deleted."))
        self.in_progress_timer.timeout.connect(self.refresh_in_progress)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.in_progress_timer.start()
        if not self._loaded_once:
            self._loaded_once = True
            self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt API
        self.in_progress_timer.stop()
        super().hideEvent(event)

    def refresh_in_progress(self) -> None:
        """Re-read the journal (a few rows) and show what is not final yet, for today only."""
        spans = []
        if self.selected_day() == date.today():
            try:
                spans = read_in_progress(self.profile)
            except (sqlite3.Error, StorageError) as exc:
                self.status.setText(f"Activity in progress could not be read: {exc}")
        categories: dict[tuple[str, str], str] = {}
        for span in spans:
            key = ("web", span.domain) if span.domain else ("app", span.process_name or "Unknown")
            categories.setdefault(key, span.category or "neutral")
        self.timeline.set_in_progress(timeline_entries(spans), categories)
        self.in_progress.show_spans(spans, hold_seconds(self.profile.settings))

    def selected_day(self) -> date:
        qdate = self.date_edit.date()
        return date(qdate.year(), qdate.month(), qdate.day())

    def show_day(self, day: date) -> None:
        if day == self.selected_day():
            self.refresh()
        else:
            self.date_edit.setDate(QDate(day.year, day.month, day.day))  # dateChanged → refresh

    def refresh(self) -> None:
        self.status.setText("Loading…")
        self.loader.load(self.selected_day())

    def _show(self, result: object) -> None:
        assert isinstance(result, ActivityDay)
        self.current = result
        self.timeline.set_day(result.start_ms, result.end_ms, result.timeline, result.categories)
        _fill(self.apps, result.per_app)
        _fill(self.domains, result.per_domain)
        self.gallery.set_rows(result.screenshots)
        p, w = result.productivity, result.wellness
        self.summary.setText(
            f"Productive {format_seconds(p['productive_seconds'])} · unproductive "
            f"{format_seconds(p['unproductive_seconds'])} · neutral {format_seconds(p['neutral_seconds'])} · "
            f"idle {format_seconds(p['idle_seconds'])} · score {p['score']:.0f} — active "
            f"{format_seconds(w['active_seconds'])}, {w['break_count']} break(s), longest streak "
            f"{format_seconds(w['longest_streak_seconds'])}, overtime {format_seconds(w['overtime_seconds'])}"
            + (" · of the active time, passive (no input, media or an idle inhibitor) "
               f"{format_seconds(result.passive_seconds)}" if result.passive_seconds else "") + f" ({result.tz})")
        self.status.setText("")
        self.refresh_in_progress()
        self.dayLoaded.emit(result.day.isoformat())
