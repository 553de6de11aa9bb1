"""The main window: the weeks panel, the task table, statistics and the status-bar area.

A view only: ``app.ui.shell.Shell`` builds it together with the timer, tray, menus and background
workers and connects them. Extension points:
  * ``add_view(widget, title)`` adds a tab next to Tasks/Statistics (Activity and Sync go here);
  * ``add_status_widget(widget)`` adds to the status bar's permanent area;
  * settings fields are declared in ``settings_fields.py`` (one line each).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QSplitter, QTabWidget, QWidget

from app.domain.changes import Changes
from app.services.reports import resolve_currency
from app.ui.confirm import Confirmer, ask_with_message_box
from app.ui.context import AppContext
from app.ui.icons import state_icon
from app.ui.messages import StatusMessages
from app.ui.reports.view import ReportsView
from app.ui.state import restore_geometry
from app.ui.stats.view import StatisticsView
from app.ui.tasks.panel import TasksPanel
from app.ui.undo import UndoHistory
from app.ui.weeks.panel import WeeksPanel

APP_TITLE = "WFH Agent"


class MainWindow(QMainWindow):
    """Weeks on the left, Tasks / Statistics (and later Activity, Sync) tabs on the right.

    Signals:
        quitRequested(): the window was closed while it cannot hide to a tray.
        hiddenToTray(): the window was closed and only hid (the tray keeps the app running).
        visibilityChanged(bool): shown or hidden (the tray's Open/Hide entry follows it).
    """

    quitRequested = Signal()
    hiddenToTray = Signal()
    visibilityChanged = Signal(bool)

    def __init__(self, context: AppContext, *, confirm: Confirmer = ask_with_message_box) -> None:
        super().__init__()
        self.context = context
        self.quitting = False
        self.close_to_tray = False
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(state_icon("idle"))
        self.resize(1280, 800)
        data = context.data
        self.history = UndoHistory(self)
        self.addAction(self.history.action)
        self.weeks = WeeksPanel(data, confirm, self, history=self.history)
        self.tasks = TasksPanel(data, confirm, self, history=self.history)
        self.statistics = StatisticsView(data, self, currency=self.currency)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self.tasks, "Tasks")
        self.tabs.addTab(self.statistics, "Statistics")
        self.reports = ReportsView(context.profile, data, context.state, parent=self)
        self.tabs.addTab(self.reports, "Reports")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.weeks)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([350, 930])
        self.setCentralWidget(self.splitter)
        self.messages = StatusMessages(self.statusBar(), self)
        self.timer_label = QLabel()
        self.timer_label.setObjectName("timerLabel")
        self.sync_label = QLabel()
        self.sync_label.setObjectName("syncState")
        self.sync_label.setTextFormat(Qt.TextFormat.PlainText)  # the status can carry the server's text
        self.status_widgets = QWidget()
        self._status_layout = QHBoxLayout(self.status_widgets)
        self._status_layout.setContentsMargins(0, 0, 0, 0)
        self.add_status_widget(self.timer_label)
        self.add_status_widget(self.sync_label)
        self.statusBar().addPermanentWidget(self.status_widgets)
        self.weeks.weekSelected.connect(self.show_week)
        self.history.undone.connect(lambda text: self.messages.result(f"Undone: {text}."))
        self.history.failed.connect(lambda message: self.messages.warning(f"Could not undo: {message}"))
        data.changed.connect(self._on_data_changed)
        self.restore_state()

    def currency(self) -> str:
        """The ISO code bonuses are shown in (``display.currency``; auto = the locale's, else USD)."""
        return resolve_currency(self.context.profile.settings.get("display.currency"))

    def add_view(self, widget: QWidget, title: str) -> int:
        """Add a tab beside Tasks and Statistics (e.g. the Activity view); returns its index."""
        return self.tabs.addTab(widget, title)

    def add_status_widget(self, widget: QWidget) -> None:
        self._status_layout.addWidget(widget)

    # ---- weeks -----------------------------------------------------------------------------
    @Slot(int)
    def show_week(self, week_id: int) -> None:
        self.tasks.show_week(week_id or None)
        self.statistics.show_week(week_id or None)
        self.context.state.set("last_week_id", week_id or None)
        self._update_title()
        if not week_id:
            self.messages.hint(
                "No weeks yet — click “New week…” to start, or File → Import legacy database…"
                if self.weeks.model.rowCount() == 0 else "Select a week on the left.")
        else:
            self.messages.clear()

    def _update_title(self) -> None:
        week_id = self.tasks.model.week_id
        week = self.context.data.get_week_data(week_id) if week_id else None
        self.setWindowTitle(f"{APP_TITLE} — {week.week_label}" if week else APP_TITLE)

    @Slot(object)
    def _on_data_changed(self, changes: Changes) -> None:
        if changes.touches_week(self.tasks.model.week_id):
            self._update_title()

    # ---- window, tray, quit ----------------------------------------------------------------
    def show_from_tray(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    @Slot()
    def toggle_visible(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.show_from_tray()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.visibilityChanged.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.visibilityChanged.emit(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.quitting or not self.close_to_tray:
            self.save_state()
            event.accept()
            if not self.quitting:
                self.quitRequested.emit()
            return
        event.ignore()
        self.hide()
        self.hiddenToTray.emit()

    # ---- layout persistence ----------------------------------------------------------------
    def restore_state(self) -> None:
        state = self.context.state
        restore_geometry(self, state.get_bytes("geometry"), default=self.size())
        window_state = state.get_bytes("window_state")
        if window_state is not None:
            self.restoreState(window_state)
        for splitter, key in ((self.splitter, "main_splitter"), (self.statistics.splitter, "stats_splitter")):
            saved = state.get_bytes(key)
            if saved is not None:
                splitter.restoreState(saved)
        header = state.get_bytes("task_columns")
        if header is not None:
            self.tasks.table.horizontalHeader().restoreState(header)
        last = state.get("last_week_id")
        if not (isinstance(last, int) and self.weeks.select_week(last)):
            self.weeks.select_first()
        if not self.weeks.selected_week_id():
            self.show_week(0)  # empty profile: say how to start

    def save_state(self) -> None:
        state = self.context.state
        state.set_bytes("geometry", self.saveGeometry())
        state.set_bytes("window_state", self.saveState())
        state.set_bytes("main_splitter", self.splitter.saveState())
        state.set_bytes("stats_splitter", self.statistics.splitter.saveState())
        state.set_bytes("task_columns", self.tasks.table.horizontalHeader().saveState())
        state.save()
