"""The window's background workers: the monitoring agent and the sync worker, each on its own thread.

``BackgroundAgents`` starts them after the window exists, connects their signals to what the user
sees (tray icon and tooltip, status bar, pause menu, idle prompt, Activity and Sync views) and stops
them at quit before the database is closed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from app.monitor.agent import MonitorAgent, start_in_thread
from app.monitor.aggregates import TimelineEntry
from app.monitor.store import MonitorStore
from app.monitor.timeutil import iso_to_ms, local_zone_name
from app.sync.worker import SyncController
from app.ui.activity import ADD_TO_TASK, DISCARD, ConsentDialog, IdlePrompt, PauseMenu
from app.ui.activity.pause_menu import describe_state
from app.ui.sync.menu import SyncTrayActions

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class BackgroundAgents(QObject):
    """Monitoring agent and sync worker of one running window."""

    TOOLTIP_REFRESH_MS = 1000

    def __init__(self, window: MainWindow, *, offline: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent or window)
        self.window = window
        self.profile = window.context.profile
        self.offline = offline
        self.sync = SyncController(self.profile, parent=self)
        self.monitor = MonitorAgent(self.profile)
        self.monitor_thread: QThread | None = None
        self.pause_menu = PauseMenu(window)
        self.pause_menu.connect_agent(self.monitor)
        self.monitor_label = QLabel(describe_state("stopped", ""))
        self.monitor_label.setObjectName("monitorState")
        window.status_layout.addWidget(self.monitor_label)
        self._countdown = QTimer(self)
        self._countdown.setInterval(self.TOOLTIP_REFRESH_MS)
        self._offline_actions: list[QAction] = []
        self.tray_actions: SyncTrayActions | None = None
        if window.tray is not None:
            self.tray_actions = SyncTrayActions(
                window.tray, sync_now=self.sync.sync_now, set_work_offline=self.sync.set_work_offline,
                set_monitoring_paused=self._set_paused, open_window=window.show_from_tray,
                quit_app=window.quit_cleanly, work_offline=offline)
            window.tray.add_actions([self.tray_actions.sync_now, self.tray_actions.work_offline,
                                     self.pause_menu.menuAction()])
        window.attach_agents(self)
        self._connect_signals()

    def _connect_signals(self) -> None:
        # Both workers emit from their own threads: every receiver here is a bound method of a GUI-thread
        # QObject, so Qt queues the call onto the GUI thread (a lambda would run in the worker's thread).
        worker = self.sync.worker
        worker.syncStateChanged.connect(self._on_sync_state)
        worker.pendingChanged.connect(self._on_pending)
        if self.tray_actions is not None:
            worker.syncStateChanged.connect(self.tray_actions.set_state)
        self._countdown.timeout.connect(self._refresh_sync_text)
        self.monitor.stateChanged.connect(self._on_monitor_state)
        self.monitor.idleReturned.connect(self._on_idle_returned)
        self.monitor.warning.connect(self.window.show_warning)
        self.monitor.error.connect(self.window.show_warning)
        self.monitor.screenshotTaken.connect(self._on_screenshot_taken)
        self.monitor.spansWritten.connect(self._on_spans_written)

    # ---- lifetime ------------------------------------------------------------------------
    def start(self, *, ask_consent: bool = True) -> None:
        """Start syncing, then monitoring if it is enabled and the user has agreed to it."""
        self.sync.start()
        if self.offline:
            self.sync.set_work_offline(True)
        self.start_monitoring(ask_consent=ask_consent)

    def start_monitoring(self, *, ask_consent: bool = True) -> bool:
        if self.monitor_thread is not None or not self.profile.settings.get("monitoring.enabled", True):
            return False
        if ask_consent and not ConsentDialog.ensure(self.profile, self.window):
            self._on_monitor_state("no_consent", "")
            return False
        self.monitor_thread = start_in_thread(self.monitor)
        return True

    def stop(self) -> None:
        """Close and write the open span, abandon any upload in flight, end both threads."""
        self._countdown.stop()
        if self.monitor_thread is not None:
            if not self.monitor.shutdown(self.monitor_thread):
                log.warning("monitoring thread did not end in time")
            self.monitor_thread = None
        if not self.sync.stop():
            log.warning("sync thread did not end within 2 s")

    def settings_changed(self) -> None:
        """After the settings dialog saved: both workers re-read what concerns them."""
        self.sync.settings_changed()
        self.monitor.reload_settings()
        if self.profile.settings.get("monitoring.enabled", True):
            self.start_monitoring()

    def track_offline_action(self, action: QAction) -> None:
        """A checkable "Work offline" action elsewhere (menu bar) that must follow the worker's state."""
        self._offline_actions.append(action)

    # ---- slots (GUI thread) --------------------------------------------------------------
    @Slot(str, str)
    def _on_sync_state(self, state: str, _detail: str) -> None:
        if state == "unreachable":
            self._countdown.start()  # "retrying in N s" counts down
        else:
            self._countdown.stop()
        for action in self._offline_actions:
            action.blockSignals(True)
            action.setChecked(state == "offline")
            action.blockSignals(False)
        self._refresh_sync_text()

    @Slot(dict)
    def _on_pending(self, _pending: dict) -> None:
        self._refresh_sync_text()

    @Slot(str)
    def _on_screenshot_taken(self, _client_id: str) -> None:
        self.sync.screenshot_captured()
        self.window.activity.refresh()

    @Slot(int)
    def _on_spans_written(self, _count: int) -> None:
        self.window.activity.refresh()

    def _refresh_sync_text(self) -> None:
        state, _detail = self.sync.worker.state
        self.window.status.set_sync(state, self.sync.status_text())

    @Slot(str, str)
    def _on_monitor_state(self, state: str, detail: str) -> None:
        self.monitor_label.setText(describe_state(state, detail))

    def _record_task_time(self, started_at: str, ended_at: str, task_name: str) -> None:
        """A ``task`` timeline entry over the idle period: the time counts as work on that task."""
        entry = TimelineEntry(iso_to_ms(started_at), iso_to_ms(ended_at), local_zone_name(), "task", task_name)
        if not MonitorStore(self.profile.db).write_timeline([entry]):
            self.window.statusBar().showMessage("⚠ The idle time could not be recorded (disk full?).", 20_000)

    def _set_paused(self, paused: bool) -> None:
        if paused:
            self.monitor.pause(None)
        else:
            self.monitor.resume()

    @Slot(str, str, float)
    def _on_idle_returned(self, started_at: str, ended_at: str, seconds: float) -> None:
        """Toggl-style: only when a timer ran through the idle time is there something to decide."""
        timer = self.window.timer
        task_id = timer.running_task_id
        if task_id is None:
            return
        task = self.window.context.data.get_task(task_id)
        name = task.project_name or task.attempt_id or f"task {task_id}"
        choice = IdlePrompt.ask(started_at, ended_at, seconds, name, self.window)
        if choice == DISCARD:
            removed = timer.discard_seconds(int(seconds))
            self.window.statusBar().showMessage(f"{removed // 60} min of idle time removed from the timer.", 8000)
        elif choice == ADD_TO_TASK:
            self._record_task_time(started_at, ended_at, name)
            self.window.statusBar().showMessage(f"Idle time counted as work on {name}.", 8000)
