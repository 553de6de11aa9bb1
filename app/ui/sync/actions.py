"""The sync actions shared by the menu bar, the tray menu and the Sync panel: Sync now, Work offline.

One ``QAction`` each, so the three places can never disagree: the check mark and the enabled
state follow the worker's ``SyncStatus`` through ``show_status``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction

from app.sync.status import SyncState, SyncStatus


class SyncActions(QObject):
    """"Sync now" and the checkable "Work offline".

    Signals:
        syncNowRequested(): the user asked for an upload now.
        workOfflineToggled(bool): the user switched Work offline on or off (not emitted by ``show_status``).
    """

    syncNowRequested = Signal()
    workOfflineToggled = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, work_offline: bool = False) -> None:
        super().__init__(parent)
        self.sync_now = QAction("Sync now", self)
        self.work_offline = QAction("Work offline", self)
        self.work_offline.setCheckable(True)
        self.work_offline.setChecked(work_offline)
        self.work_offline.setToolTip("Keep recording locally and upload nothing until switched off")
        self._following = False  # True while show_status moves the check mark: nothing to ask then
        self.sync_now.triggered.connect(self.syncNowRequested)
        self.work_offline.toggled.connect(self._on_offline_toggled)

    def actions(self) -> list[QAction]:
        return [self.sync_now, self.work_offline]

    @Slot(object)
    def show_status(self, status: SyncStatus) -> None:
        """Follow the worker: offline checks the box, "Sync now" is off while offline or syncing."""
        self.sync_now.setEnabled(status.state not in (SyncState.OFFLINE, SyncState.SYNCING))
        self._following = True
        try:  # toggled still fires, so widgets showing the action (the Sync panel's switch) follow too
            self.work_offline.setChecked(status.state is SyncState.OFFLINE)
        finally:
            self._following = False

    @Slot(bool)
    def _on_offline_toggled(self, offline: bool) -> None:
        if not self._following:
            self.workOfflineToggled.emit(offline)
