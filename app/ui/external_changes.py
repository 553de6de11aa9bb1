"""Notice writes by another process on the same profile (the task CLI) within a second.

Every half second the GUI thread reads ``PRAGMA data_version``: a number in memory that SQLite
changes only when *another* connection committed, so the poll costs no I/O while nothing happens.
When it moved, the one-row ``data_generation`` counter tells whether weeks or tasks were written
(the monitor's own writes move ``data_version`` too but not the counter) and DataService tells
whether this process's own transactions explain the whole step. Only a foreign write drops the
caches and publishes a bulk ``Changes``; the shared running timer is re-read on every move.
"""

from __future__ import annotations

import logging
import sqlite3

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.errors import WfhError
from app.services.data_service import DataService
from app.ui.timer import TimerController

log = logging.getLogger(__name__)


class ExternalChangeWatcher(QObject):
    """Polls the database for other processes' commits and refreshes views and the timer.

    Signals:
        changedElsewhere(): weeks or tasks were written by another process (views were told to re-read).
    """

    changedElsewhere = Signal()

    POLL_MS = 500

    def __init__(self, data: DataService, timer: TimerController | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data = data
        self._timer = timer
        self._version = self._data_version()
        self._generation = data.generation()
        self._poller = QTimer(self)
        self._poller.setInterval(self.POLL_MS)
        self._poller.timeout.connect(self.poll)

    def start(self) -> None:
        self._poller.start()

    def stop(self) -> None:
        self._poller.stop()

    def _data_version(self) -> int:
        return int(self._data.db.get().execute("PRAGMA data_version").fetchone()[0])

    @Slot()
    def poll(self) -> bool:
        """Check once; True when another process had changed weeks or tasks."""
        try:
            version = self._data_version()
            if version == self._version:
                return False
            self._version = version
            current = self._data.generation()
        except (sqlite3.Error, WfhError) as exc:  # locked or closing: try again on the next tick
            log.debug("change poll skipped: %s", exc)
            return False
        elsewhere = current != self._generation and self._data.changed_elsewhere(self._generation, current)
        self._generation = current
        if elsewhere:
            self._data.reload_after_external_change()
            self.changedElsewhere.emit()
        if self._timer is not None:
            try:
                self._timer.sync_with_store()
            except WfhError as exc:
                log.warning("could not re-read the shared timer: %s", exc)
        return elsewhere
