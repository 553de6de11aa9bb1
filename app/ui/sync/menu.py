"""Tray-menu actions for sync: Sync now, Work offline (toggle), Pause monitoring (toggle), Open WFH Agent,
Quit. The tray adds ``actions()`` to its menu; the callbacks belong to whoever owns those features."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction


class SyncTrayActions(QObject):
    def __init__(self, parent: QObject, *, sync_now: Callable[[], None], set_work_offline: Callable[[bool], None],
                 set_monitoring_paused: Callable[[bool], None], open_window: Callable[[], None],
                 quit_app: Callable[[], None], work_offline: bool = False) -> None:
        super().__init__(parent)
        self.sync_now = QAction("Sync now", self)
        self.work_offline = QAction("Work offline", self)
        self.work_offline.setCheckable(True)
        self.work_offline.setChecked(work_offline)
        self.pause_monitoring = QAction("Pause monitoring", self)
        self.pause_monitoring.setCheckable(True)
        self.open_window = QAction("Open WFH Agent", self)
        self.quit = QAction("Quit", self)
        self.sync_now.triggered.connect(lambda: sync_now())
        self.work_offline.toggled.connect(set_work_offline)
        self.pause_monitoring.toggled.connect(set_monitoring_paused)
        self.open_window.triggered.connect(lambda: open_window())
        self.quit.triggered.connect(lambda: quit_app())
        self.set_state("pending")

    def actions(self) -> list[QAction]:
        """In menu order; put a separator before ``open_window`` if you like."""
        return [self.sync_now, self.work_offline, self.pause_monitoring, self.open_window, self.quit]

    @Slot(str, str)
    def set_state(self, state: str, detail: str = "") -> None:
        """Connect to ``SyncWorker.syncStateChanged``: keeps the toggle and "Sync now" consistent."""
        self.sync_now.setEnabled(state not in ("offline", "syncing"))
        if self.work_offline.isChecked() != (state == "offline"):
            self.work_offline.blockSignals(True)
            self.work_offline.setChecked(state == "offline")
            self.work_offline.blockSignals(False)
