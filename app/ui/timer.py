"""The one running timer: start/stop on a task, ticks, persistence, time-limit warning.

Elapsed time is measured with the clock's monotonic time; the wall clock is only used for what
is saved (``TimerStore``) so a crash can be recovered. The clock is injectable so tests advance
time instantly and call ``tick()`` themselves.

Signals:
  timerStarted(int task_id), timerStopped(int task_id, int elapsed_seconds),
  timerTicked(int task_id, int elapsed_seconds), timeLimitExceeded(int task_id, str limit_text)
"""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.domain.changes import Changes
from app.errors import NotFoundError, StorageError
from app.services.data_service import DataService
from app.storage.timer_store import RunningTimer, TimerStore, iso_utc

log = logging.getLogger(__name__)


class Clock(Protocol):
    """Where the timer reads time (tests inject a fake)."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """The real clocks: monotonic for elapsed time, UTC wall time for the saved state."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


class TimerController(QObject):
    """The one running timer: start/stop/toggle, the live elapsed time, crash-safe saving of its state.

    Signals:
        timerStarted(int task_id), timerStopped(int task_id, int elapsed_seconds),
        timerTicked(int task_id, int elapsed_seconds): once a second while running,
        timeLimitExceeded(int task_id, str limit): the task passed its time limit (once per run).
    """

    timerStarted = Signal(int)
    timerStopped = Signal(int, int)
    timerTicked = Signal(int, int)
    timeLimitExceeded = Signal(int, str)

    TICK_MS = 1000
    PERSIST_EVERY_SECONDS = 5

    def __init__(self, data_service: DataService, store: TimerStore, clock: Clock | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._store = store
        self._clock = clock or SystemClock()
        self._task_id: int | None = None
        self._offset = 0            # seconds carried over (a resumed timer)
        self._started_mono = 0.0
        self._started_wall = ""
        self._last_persist = 0.0
        self._warned = False
        self._source = "app"
        self._stored = False  # this run was written to the store at least once (else nobody else can stop it)
        self._ticker = QTimer(self)
        self._ticker.setInterval(self.TICK_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._ticker.timeout.connect(self.tick)
        self._data.changed.connect(self._on_changed)

    # ---- state ---------------------------------------------------------------------------
    @property
    def running_task_id(self) -> int | None:
        return self._task_id

    def is_running(self) -> bool:
        return self._task_id is not None

    def elapsed(self) -> int:
        if self._task_id is None:
            return 0
        return self._offset + max(0, int(self._clock.monotonic() - self._started_mono))

    # ---- control -------------------------------------------------------------------------
    def toggle(self, task_id: int) -> None:
        """Stop if this task's timer runs; otherwise start it (stopping any other first)."""
        if self._task_id == task_id:
            self.stop()
        else:
            self.start(task_id)

    def start(self, task_id: int, offset_seconds: int = 0) -> None:
        self.sync_with_store()  # a timer the CLI started a moment ago is stopped properly, not overwritten
        if self._task_id is not None:
            self.stop()
        self._data.start_timer(task_id)  # raises NotFoundError for a task that is gone
        self._task_id = task_id
        self._offset = offset_seconds
        self._started_mono = self._clock.monotonic()
        self._started_wall = iso_utc(self._clock.now())
        self._warned = False
        self._source = "app"
        self._last_persist = self._clock.monotonic()
        self._stored = self._store.save(self._snapshot())
        self._ticker.start()
        self.timerStarted.emit(task_id)
        self._check_limit(self.elapsed())

    def stop(self) -> int:
        """Add the elapsed time to the task (``timer_stop`` event) and forget the running timer."""
        if self._task_id is None:
            return 0
        task_id, elapsed, run = self._task_id, self.elapsed(), self._snapshot()
        try:
            taken = self._store.take(run) is not None
        except (StorageError, sqlite3.Error) as exc:  # cannot tell: add the time, the saved run stays for recovery
            log.warning("could not take the saved timer: %s", exc)
            taken = True
        self._ticker.stop()
        self._task_id = None
        if not taken and self._stored:  # another process (task stop) stopped it and added the time
            self.timerStopped.emit(task_id, 0)
            return 0
        try:
            self._data.stop_timer(task_id, elapsed)
        except NotFoundError:
            pass  # the task was deleted while its timer ran; nothing left to add the time to
        except BaseException:
            self._store.save(run)  # nothing was added: keep the run for the recovery dialog of the next start
            raise
        self.timerStopped.emit(task_id, elapsed)
        return elapsed

    def discard_seconds(self, seconds: int) -> int:
        """Take ``seconds`` (idle time the user chose to discard) off the running timer; returns what was
        taken, never more than the timer has counted."""
        if self._task_id is None or seconds <= 0:
            return 0
        removed = min(int(seconds), self.elapsed())
        self._offset -= removed
        self._persist()
        self.tick()
        return removed

    @Slot()
    def tick(self) -> None:
        if self._task_id is None:
            return
        elapsed = self.elapsed()
        now = self._clock.monotonic()
        if now - self._last_persist >= self.PERSIST_EVERY_SECONDS:
            self._persist()
        self.timerTicked.emit(self._task_id, elapsed)
        self._check_limit(elapsed)

    def _snapshot(self) -> RunningTimer:
        assert self._task_id is not None
        return RunningTimer(self._task_id, self._started_wall, iso_utc(self._clock.now()), self.elapsed(), self._source)

    def _persist(self) -> None:
        """Save the last known time, unless another process stopped or replaced this run meanwhile."""
        assert self._task_id is not None
        self._last_persist = self._clock.monotonic()
        snapshot = self._snapshot()
        try:
            if not self._stored:  # the first save failed (full disk): try again, plainly
                self._stored = self._store.save(snapshot)
            elif not self._store.save_if_current(snapshot):
                self.sync_with_store()
        except (StorageError, sqlite3.Error) as exc:  # a full disk must not stop the timer itself
            log.warning("could not save the running timer: %s", exc)

    @Slot()
    def sync_with_store(self) -> None:
        """Follow the shared saved timer: drop a run another process stopped, adopt one it started.

        Called when the database changed elsewhere (the task CLI); nothing is written here, the
        process that stopped a run already added its time.
        """
        saved = self._store.load()
        if self._task_id is not None:
            if saved is not None and saved.same_run(RunningTimer(self._task_id, self._started_wall, "", 0)):
                return
            stopped = self._task_id
            self._ticker.stop()
            self._task_id = None
            self.timerStopped.emit(stopped, 0)
        if saved is not None and saved.source == "cli":
            self._adopt(saved)

    def _adopt(self, saved: RunningTimer) -> None:
        self._task_id = saved.task_id
        self._offset = saved.seconds_until(self._clock.now())
        self._started_mono = self._last_persist = self._clock.monotonic()
        self._started_wall = saved.started_at
        self._source = saved.source
        self._stored = True
        self._warned = False
        self._ticker.start()
        self.timerStarted.emit(saved.task_id)
        self._check_limit(self.elapsed())

    def _check_limit(self, elapsed: int) -> None:
        if self._warned or self._task_id is None:
            return
        try:
            task = self._data.get_task(self._task_id)
        except NotFoundError:
            return
        if task.time_limit_seconds > 0 and task.duration_seconds + elapsed > task.time_limit_seconds:
            self._warned = True
            self.timeLimitExceeded.emit(task.id, task.time_limit_display)

    @Slot(object)
    def _on_changed(self, changes: Changes) -> None:
        if self._task_id is not None and self._task_id in changes.tasks_deleted:
            self._on_task_deleted(self._task_id)

    def _on_task_deleted(self, task_id: int) -> None:
        if task_id == self._task_id:
            self._ticker.stop()
            self._task_id = None
            self._store.clear()
            self.timerStopped.emit(task_id, 0)

    # ---- crash recovery ------------------------------------------------------------------
    def pending_recovery(self) -> RunningTimer | None:
        """A timer saved by a run that ended without stopping it (crash, kill -9, power loss).

        A timer the task CLI started is running on purpose: it is adopted (keeps counting), not asked about.
        """
        if self._task_id is not None:
            return None
        saved = self._store.load()
        if saved is not None and saved.source == "cli":
            self._adopt(saved)
            return None
        return saved

    def seconds_until_now(self, saved: RunningTimer) -> int:
        """The saved time plus the gap since it was last seen (for "resume")."""
        return saved.seconds_until(self._clock.now())

    def resume(self, saved: RunningTimer) -> None:
        """Keep counting as if the app had never stopped (the gap is counted)."""
        self._store.clear()
        self.start(saved.task_id, offset_seconds=self.seconds_until_now(saved))

    def stop_at_last_known(self, saved: RunningTimer) -> None:
        """Add only the time seen before the app ended."""
        self._store.clear()
        try:
            self._data.stop_timer(saved.task_id, saved.elapsed_seconds)
        except NotFoundError:
            return
        self.timerStopped.emit(saved.task_id, saved.elapsed_seconds)

    def discard(self, _saved: RunningTimer) -> None:
        self._store.clear()
