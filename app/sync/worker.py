"""``SyncWorker``: the Qt face of the sync engine, living in its own ``QThread`` with its own SQLite
connection (§10.4). Cycles start on the heartbeat and aggregate timers, within 5 s after a new
screenshot, on "Sync now", when Work offline is switched off and when the network comes back.

Use ``SyncController`` from the GUI thread: it creates the thread, forwards requests as queued
calls and stops everything within 2 s (the in-flight request is abandoned, nothing is marked).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from app.config import Settings
from app.errors import StorageError
from app.storage.db import ConnectionFactory
from app.sync import outbox, shedding, state
from app.sync.engine import Aborted, SyncEngine
from app.sync.keystore import KeyStore, for_profile
from app.sync.policy import ALL_STREAMS
from app.sync.status import SyncReason, SyncState, SyncStatus

log = logging.getLogger(__name__)

POLL_MS = 5000  # new screenshots and pending counts; "within 5 s after a screenshot is captured"
SHED_MS = 600_000  # queue caps are checked every 600 s (§10.9)


class SyncWorker(QObject):
    """Runs the engine's cycles in the sync thread and reports what it sees.

    Signals (emitted in the sync thread; connect them to GUI-thread slots, never lambdas):
        statusChanged(SyncStatus): the state, its reason or the pending total changed.
        pendingChanged(dict): pending records per stream.
        syncFinished(dict): one cycle ended (``CycleResult.as_dict()``).
        remoteChanged(): the cycle applied weeks or tasks received from another device (views re-read).
    """

    statusChanged = Signal(object)
    pendingChanged = Signal(dict)
    syncFinished = Signal(dict)
    remoteChanged = Signal()

    def __init__(self, db_path: Path, settings: Settings, data_dir: Path, keystore: KeyStore, *,
                 pace_seconds: float = 1.0, burst: int = 20, poll_ms: int = POLL_MS,
                 engine_kw: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.db = ConnectionFactory(db_path)  # the worker's own connection, opened in its thread
        self.settings = settings
        self.engine = SyncEngine(self.db, settings, data_dir, keystore, pace_seconds=pace_seconds, burst=burst,
                                 **(engine_kw or {}))
        self.engine.on_progress = self._progress
        self.poll_ms = poll_ms
        self.status = SyncStatus()
        self._pending: dict[str, int] = {}
        self._last_shot_id = 0
        self._timers: list[QTimer] = []
        self._retry_timer: QTimer | None = None
        self._busy = False
        self.queue_full = False

    # ---- lifecycle (worker thread) ----------------------------------------------------------
    @Slot()
    def start(self) -> None:
        hb = self.settings.integer("ingestion.sync.heartbeats_seconds", minimum=1)
        other = self.settings.integer("ingestion.sync.other_seconds", minimum=1)
        self._timers = [self._timer(hb * 1000, self.runCycle), self._timer(other * 1000, self.runCycle),
                        self._timer(self.poll_ms, self._poll), self._timer(SHED_MS, self.checkQueue)]
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self.runCycle)
        self._watch_network()
        self._last_shot_id = self._max_shot_id()
        self.engine.last_success = state.last_success(self.db.get())
        QTimer.singleShot(0, self.runCycle)

    def _timer(self, ms: int, slot: Any) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(max(1, ms))
        timer.timeout.connect(slot)
        timer.start()
        return timer

    def _watch_network(self) -> None:
        try:
            from PySide6.QtNetwork import QNetworkInformation

            if QNetworkInformation.loadDefaultBackend() and QNetworkInformation.instance() is not None:
                QNetworkInformation.instance().reachabilityChanged.connect(self._reachability)
        except Exception as exc:  # pragma: no cover - no backend on this platform
            log.info("network change notifications unavailable: %s", exc)

    def _reachability(self, reachability: Any) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        if reachability == QNetworkInformation.Reachability.Online:
            self.networkBack()

    @Slot()
    def shutdown(self) -> None:
        """Runs in the worker thread: timers must be stopped by the thread that owns them, then it ends."""
        for timer in [*self._timers, *([self._retry_timer] if self._retry_timer else [])]:
            timer.stop()
        self.db.close_thread()
        thread = QThread.currentThread()
        if thread is not None:
            thread.quit()

    # ---- requests (queued from any thread) -------------------------------------------------
    @Slot()
    def syncNow(self) -> None:
        self.engine.next_attempt_at = 0.0  # the user asked: try now, not at the end of the backoff
        self.runCycle(force_other=True)

    @Slot()
    def networkBack(self) -> None:
        self.engine.next_attempt_at = 0.0
        self.engine.failures = 0
        self.runCycle()

    @Slot(bool)
    def setWorkOffline(self, offline: bool) -> None:
        state.set_work_offline(self.db.get(), offline)
        if offline:
            self._set_status(SyncState.OFFLINE, SyncReason.WORKING_OFFLINE, "Working offline")
        else:
            self.engine.next_attempt_at = 0.0
            self.runCycle(force_other=True)

    @Slot()
    def settingsChanged(self) -> None:
        self.engine.settings_changed()
        self.runCycle(force_other=True)

    @Slot()
    def identityConfirmed(self) -> None:
        self.engine.identity_confirmed()
        self.runCycle()

    @Slot()
    def screenshotCaptured(self) -> None:
        QTimer.singleShot(0, self.runCycle)

    # ---- the cycle --------------------------------------------------------------------------
    @Slot()
    def runCycle(self, force_other: bool = False) -> None:
        if self._busy or self.engine.stop_event.is_set():
            return
        self._busy = True
        try:
            if not state.work_offline(self.db.get()) and not self.engine.auth_error \
                    and self.engine.next_attempt_at <= time.time():
                self._set_status(SyncState.SYNCING, SyncReason.NONE, "")
            result = self.engine.run_cycle(force_other=force_other)
        except Aborted:
            return
        except StorageError as exc:
            log.warning("sync cycle failed on the local database: %s", exc)
            self._set_status(SyncState.ERROR, SyncReason.LOCAL_DATABASE, f"Local database: {exc}")
            return
        finally:
            self._busy = False
        self._emit_pending(result.pending)
        self._set_status(result.state, result.reason, result.detail, result.retry_at)
        if result.received:
            self.remoteChanged.emit()
        self.syncFinished.emit(result.as_dict())
        if self._retry_timer is not None:
            self._retry_timer.stop()
            if result.retry_at is not None:
                self._retry_timer.start(max(0, int((result.retry_at - time.time()) * 1000)) + 10)

    @Slot()
    def checkQueue(self) -> None:
        """§10.9 caps; "Local queue full" is shown when only protected rows are left."""
        try:
            report = shedding.check(self.db.get(), self.settings, self.engine.data_dir)
        except (StorageError, OSError) as exc:
            log.warning("queue check skipped: %s", exc)
            return
        self.queue_full = report.queue_full
        if report.dropped:
            self._emit_pending(outbox.pending_counts(self.db.get(), ALL_STREAMS))
        if report.queue_full and self.status.state in (SyncState.SYNCED, SyncState.PENDING):
            self._set_status(SyncState.ERROR, SyncReason.QUEUE_FULL, "Local queue full")

    def _progress(self, result: Any) -> None:
        self._emit_pending(outbox.pending_counts(self.db.get(), ALL_STREAMS))

    def _set_status(self, name: SyncState, reason: SyncReason, detail: str, retry_at: float | None = None) -> None:
        self._publish(SyncStatus(name, reason, detail, sum(self._pending.values()), self.engine.last_success,
                                 retry_at))

    def _publish(self, status: SyncStatus) -> None:
        if status != self.status:
            self.status = status
            self.statusChanged.emit(status)

    def _emit_pending(self, pending: dict[str, int]) -> None:
        if pending != self._pending:
            self._pending = dict(pending)
            self.pendingChanged.emit(dict(pending))
            self._publish(self.status.with_counts(sum(pending.values()), self.engine.last_success))

    @property
    def pending(self) -> dict[str, int]:
        return dict(self._pending)

    def _max_shot_id(self) -> int:
        row = self.db.get().execute("SELECT MAX(id) FROM screenshots WHERE synced_at IS NULL").fetchone()
        return int(row[0] or 0)

    @Slot()
    def _poll(self) -> None:
        """Cheap check: a new unsent screenshot starts a cycle; pending counts keep the UI current."""
        if self._busy:
            return
        try:
            shot = self._max_shot_id()
            self._emit_pending(outbox.pending_counts(self.db.get(), ALL_STREAMS))
        except Exception as exc:  # a locked or full DB must not kill the timer
            log.debug("sync poll skipped: %s", exc)
            return
        if shot > self._last_shot_id:
            self._last_shot_id = shot
            self.runCycle()


class SyncController(QObject):
    """Owns the worker's thread and forwards requests to it as queued calls. All methods are for the GUI thread.

    Signals: none of its own (the private ones queue requests into the worker); the worker's are public.
    """

    _syncNow = Signal()
    _offline = Signal(bool)
    _settings = Signal()
    _identity = Signal()
    _shot = Signal()
    _shutdown = Signal()

    def __init__(self, profile: Any, *, keystore: KeyStore | None = None, parent: QObject | None = None,
                 **worker_kw: Any) -> None:
        super().__init__(parent)
        self.keystore = keystore or for_profile(profile.paths, profile.settings)
        self.worker = SyncWorker(profile.paths.db_path, profile.settings, profile.paths.data_dir, self.keystore,
                                 **worker_kw)
        self.sync_thread = QThread()
        self.sync_thread.setObjectName("wfh-sync")
        self.worker.moveToThread(self.sync_thread)
        self.sync_thread.started.connect(self.worker.start)
        self._syncNow.connect(self.worker.syncNow)
        self._offline.connect(self.worker.setWorkOffline)
        self._settings.connect(self.worker.settingsChanged)
        self._identity.connect(self.worker.identityConfirmed)
        self._shot.connect(self.worker.screenshotCaptured)
        self._shutdown.connect(self.worker.shutdown)

    def start(self) -> None:
        self.sync_thread.start()

    def current_status(self) -> SyncStatus:
        """The worker's live status (what ``app.sync.status.current_status`` reads from the database)."""
        return self.worker.status

    def sync_now(self) -> None:
        self._syncNow.emit()

    def set_work_offline(self, offline: bool) -> None:
        self._offline.emit(bool(offline))

    def settings_changed(self) -> None:
        self._settings.emit()

    def identity_confirmed(self) -> None:
        self._identity.emit()

    def screenshot_captured(self) -> None:
        self._shot.emit()

    def stop(self, timeout_ms: int = 2000) -> bool:
        """Abandon any in-flight request and end the thread; True if it ended within ``timeout_ms``."""
        self.worker.engine.stop()
        self._shutdown.emit()  # queued: runs right after the current (aborting) cycle returns
        ended = self.sync_thread.wait(timeout_ms)
        if not ended:
            self.sync_thread.quit()
        if ended:
            self.worker.db.close_all()
        return bool(ended)
