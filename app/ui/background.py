"""The one way the app runs slow work off the GUI thread: ``BackgroundTask`` runs one function either
on its own QThread (reads: export, CSV parsing, integrity check, daily backup, connection test, the
Activity view's day) or, for bulk writes (CSV and legacy import), queued on the one ``SerialWriter``
thread, so bulk writes run one after another in the order they were submitted.

The GUI thread never blocks: results, failures and progress come back as queued signals. A task's own
thread belongs to the application until it has finished, so a task whose owner (a dialog) closes
early never destroys a running thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from app.errors import OperationCancelled, WfhError

log = logging.getLogger(__name__)
_unfinished: set[threading.Event] = set()  # one per started task until its function has ended


def _mark_ended(ended: threading.Event) -> None:  # on the worker thread, right after the function
    ended.set()
    _unfinished.discard(ended)


def wait_for_background_tasks(timeout_ms: int = 10_000) -> bool:
    """Block until every started task's function has ended (tests and shutdown, before connections close)."""
    return all(ended.wait(timeout_ms / 1000) for ended in list(_unfinished))


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
            if self._cancelled.is_set():  # cancelled while queued on the writer: never begin
                raise OperationCancelled("cancelled before it began; nothing was written")
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

    def __init__(self, function: Callable[[JobControl], Any], parent: QObject | None = None,
                 writer: SerialWriter | None = None) -> None:
        super().__init__(parent)
        self._cancelled = threading.Event()
        self._ended = threading.Event()
        self._writer = writer
        self._job = _Job(function, self._cancelled)
        # a plain function, not a method: it must run even when the task object is gone (owner closed early)
        self._job.done.connect(partial(_mark_ended, self._ended), Qt.ConnectionType.DirectConnection)
        self._job.succeeded.connect(self.finished)
        self._job.failed.connect(self.failed)
        self._job.progressed.connect(self.progressed)
        self._thread: QThread | None = None
        self._started = False
        if writer is not None:
            self._job.moveToThread(writer.thread_)
            return
        self._thread = QThread(QCoreApplication.instance())  # owned by the app until finished, then deleted
        self._job.moveToThread(self._thread)
        self._thread.job = self._job  # type: ignore[attr-defined]  # lives as long as its thread
        self._thread.started.connect(self._job.run)
        # quit() is thread-safe; called directly, wait() ends without the GUI event loop running
        self._job.done.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(self._thread.deleteLater)

    def start(self) -> None:
        self._started = True
        _unfinished.add(self._ended)
        if self._writer is not None:
            self._writer.enqueue(self._job)
        elif self._thread is not None:
            self._thread.start()

    def cancel(self) -> None:
        """Ask the function to stop (it sees ``should_cancel()``); a queued write that has not begun never runs."""
        self._cancelled.set()

    def is_running(self) -> bool:
        """Started (or queued on the writer) and not yet ended."""
        return self._started and not self._ended.is_set()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until the function has ended (shutdown only); returns False on timeout."""
        if not self._started:
            return True
        if not self._ended.wait(timeout_ms / 1000):
            return False
        if self._thread is None:
            return True
        try:
            return bool(self._thread.wait(timeout_ms))
        except RuntimeError:  # finished and already deleted
            return True


class _WriterLoop(QObject):
    """Lives on the writer thread: runs each queued job in turn, and closes the thread's connection at the end."""

    def __init__(self, at_end: Callable[[], None] | None) -> None:
        super().__init__()
        self._at_end = at_end
        self.jobs: list[_Job] = []  # queued or running; keeps each job alive until it has run

    @Slot(object)
    def run_job(self, job: _Job) -> None:
        try:
            job.run()
        finally:
            self.jobs.remove(job)

    @Slot()
    def finish(self) -> None:
        """The last event of the writer thread: after every job queued before it (FIFO), then end the
        thread from inside, so no quit() from outside can end the loop before this has run."""
        try:
            if self._at_end is not None:
                self._at_end()
        finally:
            self.thread().quit()


class SerialWriter(QObject):
    """The one thread for bulk writes: jobs run one at a time, in the order they were queued.

    Each job is a ``BackgroundTask`` made with ``writer=self`` (or by ``submit``); it uses the writer
    thread's own SQLite connection (``ConnectionFactory.get`` on that thread), which ``at_end`` closes
    when the writer stops. Signals: none of its own (each task has ``finished``/``failed``/``progressed``).
    """

    _queued = Signal(object)
    _stopping = Signal()

    def __init__(self, at_end: Callable[[], None] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread_ = QThread()
        self.thread_.setObjectName("wfh-writer")
        self._loop = _WriterLoop(at_end)
        self._loop.moveToThread(self.thread_)
        self._queued.connect(self._loop.run_job, Qt.ConnectionType.QueuedConnection)  # FIFO on the writer
        self._stopping.connect(self._loop.finish, Qt.ConnectionType.QueuedConnection)
        self.thread_.start()

    def submit(self, function: Callable[[JobControl], Any], parent: QObject | None = None) -> BackgroundTask:
        """A task that runs ``function`` on the writer once every earlier job is done; call ``start()`` on it."""
        return BackgroundTask(function, parent, writer=self)

    def enqueue(self, job: _Job) -> None:
        if not self.thread_.isRunning():
            raise RuntimeError("the writer has stopped")
        self._loop.jobs.append(job)
        self._queued.emit(job)

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Let the queued jobs finish (cancel them first to hurry), close the connection, end the thread."""
        if not self.thread_.isRunning():
            return True
        self._stopping.emit()  # the loop's finish() ends the thread once the queued jobs have run
        return bool(self.thread_.wait(timeout_ms))
