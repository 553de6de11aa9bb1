"""The daily background jobs of the running app: the backup (keep N) and the retention cleanup.

The schedule lives here, in the UI layer, because it needs Qt's timers; the work itself is plain
storage code (``app.storage.backup``, ``app.storage.retention``) run as a ``BackgroundTask``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.config import Settings
from app.storage.backup import create_backup, is_backup_due, list_backups
from app.storage.db import ConnectionFactory
from app.storage.retention import is_cleanup_due, last_run, run_cleanup
from app.ui.background import BackgroundTask

log = logging.getLogger(__name__)


class DailyJob(QObject):
    """Runs ``job`` as a ``BackgroundTask`` whenever ``is_due()`` says so, checked every ``check_ms``.

    Signals (delivered on the GUI thread):
        finished(str): the job's result as text.
        failed(str): a message for the user; the job is tried again at the next check.
    ``check_now()`` runs the check immediately; a job still running is never started twice.
    """

    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, name: str, job: Callable[[], object], is_due: Callable[[], bool], *,
                 check_ms: int = 3_600_000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._job = job
        self._is_due = is_due
        self._task: BackgroundTask | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.check_now)

    def start(self, first_check_ms: int = 60_000) -> None:
        """Start checking; the first check waits ``first_check_ms`` so start-up stays fast."""
        self._timer.start()
        QTimer.singleShot(first_check_ms, self, self.check_now)

    def stop(self, timeout: float = 30.0) -> None:
        self._timer.stop()
        if self._task is not None:
            self._task.wait(int(timeout * 1000))

    def is_running(self) -> bool:
        return self._task is not None and self._task.is_running()

    @Slot()
    def check_now(self) -> bool:
        """Start the job if it is due and not running; return whether it was started."""
        if self.is_running():
            return False
        try:
            due = self._is_due()
        except Exception as exc:  # noqa: BLE001 - a failing check must not stop the timer
            log.warning("%s: could not decide whether it is due: %s", self.name, exc)
            return False
        if not due:
            return False
        self._task = BackgroundTask(lambda _control: self._job(), self)
        self._task.finished.connect(self._on_finished)
        self._task.failed.connect(self._on_failed)
        self._task.start()
        return True

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self.finished.emit(str(result))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        log.warning("%s failed: %s", self.name, message)
        self.failed.emit(message)


def backup_scheduler(db_path: Path, backups_dir: Path, keep: Callable[[], int],
                     parent: QObject | None = None) -> DailyJob:
    """A ``DailyJob`` that takes a backup when the newest one is a day old; ``finished(str)`` gives its path."""

    def due() -> bool:
        found = list_backups(backups_dir)
        return db_path.is_file() and is_backup_due(found[0].taken_at if found else None, datetime.now(UTC))

    def job() -> Path:
        return create_backup(db_path, backups_dir, keep=int(keep()))

    return DailyJob("daily backup", job, due, parent=parent)


def retention_scheduler(db: ConnectionFactory, settings: Settings, data_dir: Path,
                        parent: QObject | None = None) -> DailyJob:
    """A ``DailyJob`` running ``run_cleanup`` once a day on its own connection; ``finished(str)`` gives the counts."""

    def due() -> bool:
        return is_cleanup_due(last_run(db.get()), datetime.now(UTC))

    def job() -> dict[str, int]:
        try:
            return run_cleanup(db.get(), settings, data_dir)
        finally:
            db.close_thread()

    return DailyJob("retention cleanup", job, due, parent=parent)
