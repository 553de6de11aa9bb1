"""The running app's shell: builds the window, the timer, the tray, the menus and the background
workers, and connects their signals in one place (like qutebrowser's ``_connect_signals``).

Nothing else knows more than one of these parts: the window is a view, the workers get a status
sink, the timer and a dialog presenter (``WorkerDialogs``, built here over the window), the menus get
the window and the timer. "Sync now" and "Work offline" are one pair of actions (``SyncActions``)
shared by the menu bar, tray and Sync panel.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel

from app.domain.timeparse import format_duration
from app.errors import WfhError
from app.monitor.state import MonitorState
from app.storage.timer_store import TimerStore
from app.sync.status import SyncState, SyncStatus, local_only_reason
from app.ui.activity import ActivityView, PauseMenu
from app.ui.activity.pause_menu import describe_state
from app.ui.confirm import Confirmer, ask_with_message_box
from app.ui.context import AppContext
from app.ui.errors import show_error
from app.ui.external_changes import ExternalChangeWatcher
from app.ui.main_window import APP_TITLE, MainWindow
from app.ui.menu_bar import MenuBar
from app.ui.status_presenter import StatusPresenter
from app.ui.sync.actions import SyncActions
from app.ui.sync.panel import SyncPanel
from app.ui.sync.restore_offer import RestoreOffer
from app.ui.sync.status import local_only_hint
from app.ui.timer import Clock, TimerController
from app.ui.tray import TrayIcon
from app.ui.worker_dialogs import WorkerDialogs
from app.ui.workers import BackgroundWorkers

log = logging.getLogger(__name__)


class Shell(QObject):
    """Window, timer, tray and menus of one running app; ``attach_workers`` adds monitoring and sync.

    Signals: none (it only connects the parts' signals).
    """

    COUNTDOWN_MS = 1000  # "retrying in N s" counts down while the server is unreachable

    def __init__(self, context: AppContext, *, clock: Clock | None = None, use_tray: bool | None = None,
                 confirm: Confirmer = ask_with_message_box) -> None:
        super().__init__()
        self.context = context
        self.quitting = False
        self.window = window = MainWindow(context, confirm=confirm)
        self.setParent(window)  # lives as long as the window it wires
        self.messages = window.messages
        self.timer = TimerController(context.data, TimerStore(context.profile.db), clock, window)
        want_tray = TrayIcon.available() if use_tray is None else use_tray
        self.tray: TrayIcon | None = TrayIcon(window) if want_tray else None
        window.close_to_tray = self.tray is not None
        self.presenter = StatusPresenter(self.tray, window.sync_label, self)
        self.quit_action = QAction("Quit", window)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        window.addAction(self.quit_action)
        self.menu_bar = MenuBar(window, self.timer, self.quit_action)
        self.external = ExternalChangeWatcher(context.data, self.timer, self)
        self.external.start()
        self.workers: BackgroundWorkers | None = None
        self.sync_actions: SyncActions | None = None
        self.pause_menu: PauseMenu | None = None
        self.monitor_label: QLabel | None = None
        self.activity: ActivityView | None = None
        self.sync_panel: SyncPanel | None = None
        self.restore_offer: RestoreOffer | None = None
        self._countdown = QTimer(self)
        self._countdown.setInterval(self.COUNTDOWN_MS)
        self._connect_signals()
        if self.tray is not None:
            self.tray.set_window_visible(window.isVisible())
            self.tray.show()

    def _connect_signals(self) -> None:
        window, timer = self.window, self.timer
        window.tasks.timerToggleRequested.connect(self.toggle_timer)
        window.quitRequested.connect(self.quit)
        window.hiddenToTray.connect(self._on_hidden_to_tray)
        timer.timerStarted.connect(self._on_timer_started)
        timer.timerTicked.connect(self._on_timer_ticked)
        timer.timerStopped.connect(self._on_timer_stopped)
        timer.timeLimitExceeded.connect(self._on_time_limit_exceeded)
        self.quit_action.triggered.connect(self.quit)
        self._countdown.timeout.connect(self._refresh_sync_status)
        if self.tray is not None:
            window.visibilityChanged.connect(self.tray.set_window_visible)
            self.tray.showHideRequested.connect(window.toggle_visible)
            self.tray.timerToggleRequested.connect(self._toggle_timer_from_tray)
            self.tray.recentMenuAboutToShow.connect(self.fill_recent_tasks)
            self.tray.startTimerRequested.connect(self.start_timer_on)
            self.tray.quitRequested.connect(self.quit)

    # ---- background workers ------------------------------------------------------------------
    def attach_workers(self, *, offline: bool = False) -> BackgroundWorkers:
        """Create the monitoring and sync workers (not started) with their views, menus and tray entries."""
        profile, window = self.context.profile, self.window
        self.workers = workers = BackgroundWorkers(
            profile, data=self.context.data, timer=self.timer, messages=self.messages,
            dialogs=WorkerDialogs(window), offline=offline, parent=self)
        self.sync_actions = SyncActions(self, work_offline=offline)
        self.pause_menu = PauseMenu(window)
        self.pause_menu.connect_agent(workers.monitor)
        self.monitor_label = QLabel(describe_state(MonitorState.STOPPED, ""))
        self.monitor_label.setObjectName("monitorState")
        window.add_status_widget(self.monitor_label)
        self.activity = ActivityView(profile)
        self.sync_panel = SyncPanel(profile.db, self.sync_actions)
        self.sync_panel.show_setup_hint(local_only_hint(local_only_reason(profile.settings)))
        window.add_view(self.activity, "Activity")
        window.add_view(self.sync_panel, "Sync")
        self.menu_bar.add_monitoring_menu(self.pause_menu, self.sync_actions.actions(), workers.sync)
        if self.tray is not None:
            self.tray.add_actions([*self.sync_actions.actions(), self.pause_menu.menuAction()])
        self._connect_worker_signals(workers, self.sync_actions, self.sync_panel)
        return workers

    def _connect_worker_signals(self, workers: BackgroundWorkers, actions: SyncActions, panel: SyncPanel) -> None:
        # The workers emit from their own threads: every receiver is a bound slot of a GUI-thread QObject,
        # so Qt queues the call onto the GUI thread (a lambda would run in the worker's thread and crash Qt).
        sync, worker = workers.sync, workers.sync.worker
        actions.syncNowRequested.connect(self._on_sync_now)
        actions.workOfflineToggled.connect(sync.set_work_offline)
        worker.statusChanged.connect(self._on_sync_status)
        worker.statusChanged.connect(actions.show_status)
        worker.statusChanged.connect(panel.show_status)
        worker.pendingChanged.connect(panel.on_pending)
        worker.syncFinished.connect(panel.on_sync_finished)
        worker.remoteChanged.connect(self.context.data.notify_bulk_change)  # another device's weeks and tasks
        workers.monitorStateChanged.connect(self._on_monitor_state)
        if self.tray is not None:
            workers.monitorStateChanged.connect(self.tray.show_monitor_state)
        workers.monitor.screenshotTaken.connect(self._on_screenshot_taken)
        workers.monitor.spansWritten.connect(self._on_spans_written)
        self.menu_bar.settingsSaved.connect(self._on_settings_saved)

    @Slot()
    def _on_sync_now(self) -> None:
        """Upload now, or, with no server set up (or uploads off), say so in the status bar and the Sync panel."""
        hint = local_only_hint(local_only_reason(self.context.profile.settings))
        if self.sync_panel is not None:
            self.sync_panel.show_setup_hint(hint)
        if hint is not None:
            self.messages.warning(hint)
            return
        if self.workers is not None:
            self.workers.sync.sync_now()

    def offer_restore(self) -> RestoreOffer | None:
        """The first-run question "Restore my weeks and tasks from the server" (empty profile, server and key set)."""
        if self.workers is None:
            return None
        self.restore_offer = RestoreOffer(self.context, self.workers.sync.keystore, self.window, self)
        self.restore_offer.offer()
        return self.restore_offer

    def stop_workers(self) -> None:
        """Before the database closes: the open span is written, the upload in flight abandoned."""
        self._countdown.stop()
        if self.workers is not None:
            self.workers.stop()

    @Slot(object)
    def _on_sync_status(self, status: SyncStatus) -> None:
        if status.state is SyncState.UNREACHABLE:
            self._countdown.start()
        else:
            self._countdown.stop()
        self.presenter.show_sync(status)

    @Slot()
    def _refresh_sync_status(self) -> None:
        if self.workers is not None:
            self.presenter.show_sync(self.workers.sync.current_status())

    @Slot(str, str)
    def _on_monitor_state(self, state: str, detail: str) -> None:
        if self.monitor_label is not None:
            self.monitor_label.setText(describe_state(state, detail))

    @Slot(str)
    def _on_screenshot_taken(self, _client_id: str) -> None:
        if self.activity is not None:
            self.activity.refresh()

    @Slot(int)
    def _on_spans_written(self, _count: int) -> None:
        if self.activity is not None:
            self.activity.refresh()

    @Slot(list)
    def _on_settings_saved(self, _changed: list[str]) -> None:
        if self.sync_panel is not None:
            self.sync_panel.show_setup_hint(local_only_hint(local_only_reason(self.context.profile.settings)))
        if self.activity is not None:
            self.activity.update_server_link()
        if self.workers is not None:
            self.workers.settings_changed()

    # ---- timer -------------------------------------------------------------------------------
    @Slot(int)
    def toggle_timer(self, task_id: int) -> None:
        try:
            self.timer.toggle(task_id)
        except WfhError as exc:
            show_error(self.window, "Timer", exc)

    @Slot()
    def _toggle_timer_from_tray(self) -> None:
        if self.timer.is_running():
            self.timer.stop()
            return
        task = self.window.tasks.current_task()
        if task is None:
            self.window.show_from_tray()
            self.messages.info("Select a task to time first.")
        else:
            self.toggle_timer(task.id)

    @Slot()
    def fill_recent_tasks(self) -> None:
        """The tray's "Start timer on" submenu: the tasks touched last, with their week."""
        if self.tray is None:
            return
        data = self.context.data
        entries = []
        for task in data.recent_tasks(8):
            week = data.get_week_data(task.week_id)
            name = f"{task.project_name} {task.attempt_id}" if task.project_name and task.attempt_id \
                else task.display_name
            entries.append((task.id, f"{name} · {week.week_label}" if week else name))
        self.tray.set_recent_tasks(entries, self.timer.running_task_id)

    @Slot(int)
    def start_timer_on(self, task_id: int) -> None:
        """Start (not toggle) the timer on a task picked in the tray; already running on it: nothing to do."""
        if self.timer.running_task_id == task_id:
            return
        try:
            self.timer.start(task_id)
        except WfhError as exc:
            show_error(self.window, "Timer", exc)

    @Slot(int)
    def _on_timer_started(self, task_id: int) -> None:
        self.window.tasks.set_timer_running(True)
        self._on_timer_ticked(task_id, self.timer.elapsed())
        if self.tray is not None:
            self.tray.set_timer_text("Stop timer")
            self.tray.show_timer_running(True)

    @Slot(int, int)
    def _on_timer_ticked(self, task_id: int, elapsed: int) -> None:
        tasks = self.window.tasks
        tasks.model.set_live_elapsed(task_id, elapsed)
        task = self.context.data.get_task(task_id)
        self.window.weeks.model.set_live(task.week_id, elapsed)
        self.window.statistics.set_live(task.week_id, elapsed)
        over = tasks.model.is_over_limit(task)
        label = self.window.timer_label
        label.setText(f"{'⚠ ' if over else '▶ '}{task.display_name}  {format_duration(elapsed)}")
        label.setStyleSheet("color: #e05050; font-weight: bold;" if over else "font-weight: bold;")
        total = format_duration(task.duration_seconds + elapsed)
        self.presenter.set_timer(f"{'⚠' if over else '▶'} timing {task.display_name} ({total})")

    @Slot(int, int)
    def _on_timer_stopped(self, _task_id: int, elapsed: int) -> None:
        tasks = self.window.tasks
        tasks.model.set_live_elapsed(None)
        self.window.weeks.model.set_live(None)
        self.window.statistics.set_live(None)
        tasks.set_timer_running(False)
        self.window.timer_label.clear()
        self.window.timer_label.setStyleSheet("")
        # 0: stopped by another process (wfh-agent task stop/start), which added the time itself
        self.messages.info(f"Timer stopped: {format_duration(elapsed)} added." if elapsed else "Timer stopped.")
        self.presenter.set_timer("")
        if self.tray is not None:
            self.tray.set_timer_text("Start timer")
            self.tray.show_timer_running(False)

    @Slot(int, str)
    def _on_time_limit_exceeded(self, task_id: int, limit: str) -> None:
        message = f"{self.context.data.get_task(task_id).display_name} has passed its time limit of {limit}."
        self.messages.warning(message)
        if self.tray is not None:
            self.tray.notify("Time limit passed", message, warning=True)

    # ---- tray, quit --------------------------------------------------------------------------
    @Slot()
    def _on_hidden_to_tray(self) -> None:
        if self.tray is None:
            return
        self.tray.set_window_visible(False)
        if not self.context.state.get("tray_hint_shown"):
            self.context.state.set("tray_hint_shown", True)
            self.tray.notify(APP_TITLE, "WFH Agent keeps running in the tray. Use Quit (Ctrl+Q) to exit.")

    @Slot()
    def quit(self) -> None:
        """Stop the timer (its time is saved), let exports finish, save the layout, close, end the event loop."""
        if self.quitting:
            return
        self.quitting = self.window.quitting = True
        self.external.stop()
        if self.timer.is_running():
            try:
                self.timer.stop()
            except WfhError as exc:  # the saved timer stays; the next start offers to recover it
                log.warning("timer not stopped at quit: %s", exc)
        self.menu_bar.shutdown()
        self.window.save_state()
        if self.tray is not None:
            self.tray.hide()
        self.window.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()
