"""The one way the app runs slow work off the GUI thread (import, export, integrity check, daily
backup, connection test): ``BackgroundTask`` runs one function on its own QThread.

The GUI thread never blocks: results, failures and progress come back as queued signals. The thread
belongs to the application until it has finished, so a task whose owner (a dialog) closes early
never destroys a running thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from app.errors import WfhError

log = logging.getLogger(__name__)


class JobControl:
    """Handed to the worker function: report progress, ask whether the user cancelled."""

    def __init__(self, emit_progress: Callable[[int, int], None], cancelled: threading.Event) -> None:
        self._emit_progress = emit_progress
        self._cancelled = cancelled

    def progress(self, done: int, total: int) -> None:
        self._emit_progress(int(done), int(total))

    def should_cancel(self) -> bool:
        return self._cancelled.is_set()


class _Job(QObject):
    """Runs the function in the worker thread. Signals: succeeded(object), failed(str), progressed(int, int),
    done()."""

    succeeded = Signal(object)
    failed = Signal(str)
    progressed = Signal(int, int)
    done = Signal()

    def __init__(self, function: Callable[[JobControl], Any], cancelled: threading.Event) -> None:
        super().__init__()
        self._function = function
        self._cancelled = cancelled

    @Slot()
    def run(self) -> None:
        control = JobControl(self.progressed.emit, self._cancelled)
        try:
            result = self._function(control)
        except WfhError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported to the user, logged with traceback
            log.exception("background job failed")
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class BackgroundTask(QObject):
    """One function on a worker thread.

    Signals (delivered on the thread that created the task):
        finished(object result): the function returned.
        failed(str message): it raised; a ``WfhError`` gives its message, anything else is logged as a bug.
        progressed(int done, int total): the function reported progress through ``JobControl``.
    """

    finished = Signal(object)
    failed = Signal(str)
    progressed = Signal(int, int)

    def __init__(self, function: Callable[[JobControl], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancelled = threading.Event()
        self._thread = QThread(QCoreApplication.instance())  # owned by the app until finished, then deleted
        self._job = _Job(function, self._cancelled)
        self._job.moveToThread(self._thread)
        self._thread.job = self._job  # type: ignore[attr-defined]  # lives as long as its thread
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._thread.started.connect(self._job.run)
        self._job.succeeded.connect(self.finished)
        self._job.failed.connect(self.failed)
        self._job.progressed.connect(self.progressed)
        self._job.done.connect(self._thread.quit)
        self._thread.finished.connect(self._thread.deleteLater)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancelled.set()

    def is_running(self) -> bool:
        try:
            return self._thread.isRunning()
        except RuntimeError:  # finished and already deleted
            return False

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until the worker thread ends (shutdown only); returns False on timeout."""
        try:
            return bool(self._thread.wait(timeout_ms))
        except RuntimeError:  # finished and already deleted
            return True
