"""The main window: wires the weeks panel, task table, statistics, timer, tray and menus.

It computes nothing itself. Extension points for the other parts of the app:
  * ``add_view(widget, title)`` adds a tab next to Tasks/Statistics (the Activity view goes here);
  * ``status`` (StatusPresenter) shows the sync state and the running timer in the tray / status bar;
  * ``attach_agents(agents)`` adds the Activity and Sync views once the background workers exist;
  * ``status_widgets`` is the status bar's permanent area;
  * settings fields are declared in ``settings_fields.py`` (one line each).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QMainWindow, QSplitter, QTabWidget, QWidget

from app.errors import WfhError
from app.services.timeparse import format_duration
from app.ui.confirm import Confirmer, ask_with_message_box
from app.ui.context import AppContext
from app.ui.errors import show_error
from app.ui.icons import state_icon
from app.ui.main_actions import MainActions
from app.ui.state import restore_geometry
from app.ui.stats.view import StatisticsView
from app.ui.status_presenter import StatusPresenter
from app.ui.tasks.panel import TasksPanel
from app.ui.timer import Clock, TimerController
from app.ui.timer_store import TimerStore
from app.ui.tray import TrayIcon
from app.ui.weeks.panel import WeeksPanel

if TYPE_CHECKING:
    from app.ui.agents import BackgroundAgents

APP_TITLE = "WFH Agent"
log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext, *, clock: Clock | None = None, use_tray: bool | None = None,
                 confirm: Confirmer = ask_with_message_box) -> None:
        super().__init__()
        self.context = context
        self._quitting = False
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(state_icon("idle"))
        self.resize(1280, 800)
        data = context.data
        self.timer = TimerController(data, TimerStore(context.profile.db), clock, self)
        self.weeks = WeeksPanel(data, confirm, self)
        self.tasks = TasksPanel(data, confirm, self)
        self.statistics = StatisticsView(data, self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self.tasks, "Tasks")
        self.tabs.addTab(self.statistics, "Statistics")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.weeks)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 980])
        self.setCentralWidget(self.splitter)
        self.timer_label = QLabel()
        self.timer_label.setObjectName("timerLabel")
        self.status_widgets = QWidget()
        self.status_layout = status_layout = QHBoxLayout(self.status_widgets)
        status_layout.setContentsMargins(0, 0, 0, 0)
        status_layout.addWidget(self.timer_label)
        self.sync_label = QLabel()
        self.sync_label.setObjectName("syncState")
        status_layout.addWidget(self.sync_label)
        self.statusBar().addPermanentWidget(self.status_widgets)
        want_tray = TrayIcon.available() if use_tray is None else use_tray
        self.tray: TrayIcon | None = TrayIcon(self) if want_tray else None
        self.status = StatusPresenter(self.tray, self.sync_label, self)
        self.agents: BackgroundAgents | None = None
        self.actions_ = MainActions(self)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.addAction(self.quit_action)
        self.actions_.build_menus(self.menuBar())
        self._connect_signals()
        self._restore_state()
        if self.tray is not None:
            self.tray.show()

    def _connect_signals(self) -> None:
        self.weeks.weekSelected.connect(self.show_week)
        self.context.data.weekUpdated.connect(lambda _id: self._update_title())
        self.tasks.timerToggleRequested.connect(self.toggle_timer)
        self.timer.timerStarted.connect(self._on_timer_started)
        self.timer.timerTicked.connect(self._on_timer_ticked)
        self.timer.timerStopped.connect(self._on_timer_stopped)
        self.timer.timeLimitExceeded.connect(self._on_time_limit_exceeded)
        self.quit_action.triggered.connect(self.quit_cleanly)
        if self.tray is not None:
            self.tray.showHideRequested.connect(self.toggle_visible)
            self.tray.timerToggleRequested.connect(self._toggle_timer_from_tray)
            self.tray.quitRequested.connect(self.quit_cleanly)

    def add_view(self, widget: QWidget, title: str) -> int:
        """Add a tab beside Tasks and Statistics (e.g. the Activity view); returns its index."""
        return self.tabs.addTab(widget, title)

    def attach_agents(self, agents: BackgroundAgents) -> None:
        """Called by ``BackgroundAgents``: the Activity and Sync views and the Monitoring menu join the window."""
        from app.ui.activity import ActivityView
        from app.ui.sync.panel import SyncPanel

        self.agents = agents
        self.activity = ActivityView(self.context.profile)
        self.sync_panel = SyncPanel(self.context.profile.db, agents.sync)
        self.add_view(self.activity, "Activity")
        self.add_view(self.sync_panel, "Sync")
        self.actions_.add_agent_menus(self.menuBar(), agents)

    # ---- weeks -----------------------------------------------------------------------------
    @Slot(int)
    def show_week(self, week_id: int) -> None:
        self.tasks.show_week(week_id or None)
        self.statistics.show_week(week_id or None)
        self.context.state.set("last_week_id", week_id or None)
        self._update_title()
        if not week_id:
            self.statusBar().showMessage(
                "No weeks yet — click “New week…” to start, or File → Import legacy database…"
                if self.weeks.model.rowCount() == 0 else "Select a week on the left.")
        else:
            self.statusBar().clearMessage()

    def _update_title(self) -> None:
        week_id = self.tasks.model.week_id
        week = self.context.data.get_week_data(week_id) if week_id else None
        self.setWindowTitle(f"{APP_TITLE} — {week.week_label}" if week else APP_TITLE)

    # ---- timer -----------------------------------------------------------------------------
    @Slot(int)
    def toggle_timer(self, task_id: int) -> None:
        try:
            self.timer.toggle(task_id)
        except WfhError as exc:
            show_error(self, "Timer", exc)

    @Slot()
    def _toggle_timer_from_tray(self) -> None:
        if self.timer.is_running():
            self.timer.stop()
            return
        task = self.tasks.current_task()
        if task is None:
            self.show_from_tray()
            self.statusBar().showMessage("Select a task to time first.", 5000)
        else:
            self.toggle_timer(task.id)

    @Slot(int)
    def _on_timer_started(self, task_id: int) -> None:
        self.tasks.set_timer_running(True)
        self._on_timer_ticked(task_id, self.timer.elapsed())
        if self.tray is not None:
            self.tray.set_timer_text("Stop timer")

    @Slot(int, int)
    def _on_timer_ticked(self, task_id: int, elapsed: int) -> None:
        self.tasks.model.set_live_elapsed(task_id, elapsed)
        task = self.context.data.get_task(task_id)
        name = task.project_name or task.attempt_id or f"task {task_id}"
        over = self.tasks.model.is_over_limit(task)
        self.timer_label.setText(f"{'⚠ ' if over else '▶ '}{name}  {format_duration(elapsed)}")
        self.timer_label.setStyleSheet("color: #e05050; font-weight: bold;" if over else "font-weight: bold;")
        total = format_duration(task.duration_seconds + elapsed)
        self.status.set_timer(f"{'⚠' if over else '▶'} timing {name} ({total})")

    @Slot(int, int)
    def _on_timer_stopped(self, task_id: int, elapsed: int) -> None:
        self.tasks.model.set_live_elapsed(None)
        self.tasks.set_timer_running(False)
        self.timer_label.clear()
        self.timer_label.setStyleSheet("")
        self.statusBar().showMessage(f"Timer stopped: {format_duration(elapsed)} added.", 5000)
        self.status.set_timer("")
        if self.tray is not None:
            self.tray.set_timer_text("Start timer")

    @Slot(int, str)
    def _on_time_limit_exceeded(self, task_id: int, limit: str) -> None:
        task = self.context.data.get_task(task_id)
        name = task.project_name or task.attempt_id or f"task {task_id}"
        message = f"{name} has passed its time limit of {limit}."
        self.statusBar().showMessage("⚠ " + message, 15000)
        if self.tray is not None:
            self.tray.notify("Time limit passed", message, warning=True)

    @Slot(str)
    def show_warning(self, message: str) -> None:
        """An expected problem from a background part (disk full, a failed daily backup): say it for 20 s.
        A slot on purpose: workers' signals connected here are queued onto the GUI thread."""
        self.statusBar().showMessage("⚠ " + message, 20_000)

    # ---- window, tray, quit ----------------------------------------------------------------
    @Slot()
    def toggle_visible(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.show_from_tray()
        if self.tray is not None:
            self.tray.set_window_visible(self.isVisible())

    def show_from_tray(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.tray is not None:
            self.tray.set_window_visible(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self.tray is not None:
            self.tray.set_window_visible(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting or self.tray is None:
            self._save_state()
            event.accept()
            if not self._quitting:
                self.quit_cleanly()
            return
        event.ignore()
        self.hide()
        self.tray.set_window_visible(False)
        if not self.context.state.get("tray_hint_shown"):
            self.context.state.set("tray_hint_shown", True)
            self.tray.notify(APP_TITLE, "WFH Agent keeps running in the tray. Use Quit (Ctrl+Q) to exit.")

    @Slot()
    def quit_cleanly(self) -> None:
        """Stop the timer (its time is saved), save the layout, close, and end the event loop."""
        if self._quitting:
            return
        self._quitting = True
        if self.timer.is_running():
            try:
                self.timer.stop()
            except WfhError as exc:  # the saved timer stays; the next start offers to recover it
                log.warning("timer not stopped at quit: %s", exc)
        self.actions_.shutdown()
        self._save_state()
        if self.tray is not None:
            self.tray.hide()
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    # ---- layout persistence ----------------------------------------------------------------
    def _restore_state(self) -> None:
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

    def _save_state(self) -> None:
        state = self.context.state
        state.set_bytes("geometry", self.saveGeometry())
        state.set_bytes("window_state", self.saveState())
        state.set_bytes("main_splitter", self.splitter.saveState())
        state.set_bytes("stats_splitter", self.statistics.splitter.saveState())
        state.set_bytes("task_columns", self.tasks.table.horizontalHeader().saveState())
        state.save()
