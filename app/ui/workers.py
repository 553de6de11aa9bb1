"""The background workers of a running app: the monitoring agent and the sync worker, each on its own thread.

``BackgroundWorkers`` starts and stops them and makes the decisions that need both a worker and the
timer (idle time). It gets what it needs — the profile, the timer, a status-message sink and a
``DialogPresenter`` for its two questions (consent, idle time) — never the window; ``app.ui.shell``
builds the presenter over the window and connects the workers' signals to the views.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.monitor.agent import MonitorAgent, start_in_thread
from app.monitor.aggregates import TimelineEntry
from app.monitor.state import MonitorState
from app.monitor.store import MonitorStore
from app.monitor.timeutil import iso_to_ms, local_zone_name
from app.profile import Profile
from app.services.data_service import DataService
from app.sync.worker import SyncController
from app.ui.activity import ADD_TO_TASK, DISCARD
from app.ui.messages import StatusMessages
from app.ui.timer import TimerController
from app.ui.worker_dialogs import DialogPresenter

log = logging.getLogger(__name__)


class BackgroundWorkers(QObject):
    """Monitoring agent and sync worker of one running app.

    Signals:
        monitorStateChanged(str state, str detail): the agent's state, plus ``no_consent`` when the user
            declined the consent screen (the agent never started then).
    """

    monitorStateChanged = Signal(str, str)

    def __init__(self, profile: Profile, *, data: DataService, timer: TimerController, messages: StatusMessages,
                 dialogs: DialogPresenter, offline: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.data = data
        self.timer = timer
        self.messages = messages
        self.dialogs = dialogs
        self.offline = offline
        self.sync = SyncController(profile, parent=self)
        self.monitor = MonitorAgent(profile)
        self.monitor_thread: QThread | None = None
        # Both workers emit from their own threads: every receiver here is a bound method of a GUI-thread
        # QObject, so Qt queues the call onto the GUI thread (a lambda would run in the worker's thread).
        self.monitor.stateChanged.connect(self.monitorStateChanged)
        self.monitor.idleReturned.connect(self._on_idle_returned)
        self.monitor.warning.connect(messages.warning)
        self.monitor.error.connect(messages.warning)
        self.monitor.screenshotTaken.connect(self._on_screenshot_taken)

    # ---- lifetime ------------------------------------------------------------------------
    def start(self, *, ask_consent: bool = True) -> None:
        """Start syncing, then monitoring if it is enabled and the user has agreed to it."""
        self.sync.start()
        if self.offline:
            self.sync.set_work_offline(True)
        self.start_monitoring(ask_consent=ask_consent)

    def start_monitoring(self, *, ask_consent: bool = True) -> bool:
        if self.monitor_thread is not None or not self.profile.settings.flag("monitoring.enabled"):
            return False
        if ask_consent and not self.dialogs.ensure_consent(self.profile):
            self.monitorStateChanged.emit(MonitorState.NO_CONSENT, "")
            return False
        self.monitor_thread = start_in_thread(self.monitor)
        return True

    def stop(self) -> None:
        """Close and write the open span, abandon any upload in flight, end both threads."""
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
        if self.profile.settings.flag("monitoring.enabled"):
            self.start_monitoring()

    @Slot(bool)
    def set_monitoring_paused(self, paused: bool) -> None:
        if paused:
            self.monitor.pause(None)
        else:
            self.monitor.resume()

    # ---- slots (GUI thread) --------------------------------------------------------------
    @Slot(str)
    def _on_screenshot_taken(self, _client_id: str) -> None:
        self.sync.screenshot_captured()

    def _record_task_time(self, started_at: str, ended_at: str, task_name: str) -> None:
        """A ``task`` timeline entry over the idle period: the time counts as work on that task."""
        entry = TimelineEntry(iso_to_ms(started_at), iso_to_ms(ended_at), local_zone_name(), "task", task_name)
        if not MonitorStore(self.profile.db).write_timeline([entry]):
            self.messages.warning("The idle time could not be recorded (disk full?).")

    @Slot(str, str, float)
    def _on_idle_returned(self, started_at: str, ended_at: str, seconds: float) -> None:
        """Toggl-style: only when a timer ran through the idle time is there something to decide."""
        task_id = self.timer.running_task_id
        if task_id is None:
            return
        name = self.data.get_task(task_id).display_name
        choice = self.dialogs.ask_idle(started_at, ended_at, seconds, name)
        if choice == DISCARD:
            removed = self.timer.discard_seconds(int(seconds))
            self.messages.result(f"{removed // 60} min of idle time removed from the timer.")
        elif choice == ADD_TO_TASK:
            self._record_task_time(started_at, ended_at, name)
            self.messages.result(f"Idle time counted as work on {name}.")
