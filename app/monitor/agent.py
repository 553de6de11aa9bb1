"""``MonitorAgent``: the monitoring loop as a QObject for a worker QThread, restarted after crashes.

Embed (GUI thread)::

    agent = MonitorAgent(profile)
    thread = start_in_thread(agent)          # moveToThread + started→run, finished→quit
    agent.stateChanged.connect(tray.show_monitor_state)
    ...
    agent.shutdown(thread)                   # at exit: closes and writes the open span

``run()`` blocks its thread (the loop waits on a ``threading.Event``), so the control methods
``stop``, ``pause``, ``resume`` and ``reload_settings`` are thread-safe plain methods to call
directly from the GUI thread, not slots through the event queue. Signals are emitted from the
worker thread and reach GUI objects queued.

Signals (past-tense facts):

* ``stateChanged(str state, str detail)`` — ``running``, ``paused`` (detail: ``until <UTC time>``
  or ``until resumed``), ``stopped``, ``no_consent`` (detail: how to give it), ``restarting``
  (detail: the delay).
* ``idleDetected(str started_at, float idle_seconds)`` — no input for ``idle_threshold``; the
  time since ``started_at`` is recorded as idle.
* ``idleReturned(str started_at, str ended_at, float seconds)`` — the user came back after idle;
  the GUI asks keep / discard / add to task (``app.ui.activity.IdlePrompt``).
* ``spansWritten(int count)``, ``screenshotTaken(str client_id)`` — outbox rows were written.
* ``warning(str message)`` — an expected problem (disk full …) the user should see.
* ``error(str message)`` — the loop crashed; it is restarted with backoff (counted in
  ``agent_metrics.monitor_restarts``).
* ``finished()`` — ``run`` returned.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.monitor.runner import MonitorEvents, MonitorRunner, NoConsentError
from app.monitor.state import MonitorState
from app.monitor.store import MonitorStore
from app.monitor.timeutil import ms_to_iso

if TYPE_CHECKING:
    from app.profile import Profile

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (1.0, 2.0, 5.0, 15.0, 60.0, 300.0)
STABLE_SECONDS = 600.0  # a run this long resets the backoff


class _SignalEvents(MonitorEvents):
    def __init__(self, agent: MonitorAgent) -> None:
        self.agent = agent

    def state_changed(self, state: str, detail: str) -> None:
        self.agent._set_state(state, detail)

    def idle_detected(self, start_ms: int, detected_ms: int) -> None:
        self.agent.idleDetected.emit(ms_to_iso(start_ms), (detected_ms - start_ms) / 1000.0)

    def idle_returned(self, start_ms: int, end_ms: int) -> None:
        self.agent.idleReturned.emit(ms_to_iso(start_ms), ms_to_iso(end_ms), (end_ms - start_ms) / 1000.0)

    def spans_written(self, count: int) -> None:
        self.agent.spansWritten.emit(count)

    def screenshot_taken(self, row: dict[str, Any]) -> None:
        self.agent.screenshotTaken.emit(str(row.get("client_id", "")))

    def warning(self, message: str) -> None:
        self.agent.warning.emit(message)


RunnerFactory = Callable[[Any, MonitorEvents], MonitorRunner]


class MonitorAgent(QObject):
    """The monitoring loop (``MonitorRunner``) as a QObject for its own QThread, restarted with backoff after a crash.

    Control methods (``stop``, ``pause``, ``resume``, ``reload_settings``) are thread-safe plain calls from
    the GUI thread; every signal is emitted on the monitoring thread and reaches GUI objects queued.

    Signals:
        stateChanged(str state, str detail): a ``MonitorState`` value and its detail (pause end, restart delay).
        idleDetected(str started_at, float idle_seconds): no input for ``idle_threshold``.
        idleReturned(str started_at, str ended_at, float seconds): the user came back after idle time.
        spansWritten(int count): closed spans were written to the outbox.
        screenshotTaken(str client_id): a screenshot row was written.
        warning(str message): an expected problem the user should see (disk full, …).
        error(str message): the loop crashed; it restarts after the backoff delay.
        restarted(int attempt): the loop was started again after a crash.
        finished(): ``run`` returned (the agent was stopped).
    """

    stateChanged = Signal(str, str)
    idleDetected = Signal(str, float)
    idleReturned = Signal(str, str, float)
    spansWritten = Signal(int)
    screenshotTaken = Signal(str)
    warning = Signal(str)
    error = Signal(str)
    restarted = Signal(int)
    finished = Signal()

    def __init__(
        self,
        profile: Profile,
        *,
        display: str | None = None,
        runner_factory: RunnerFactory | None = None,
        backoff: Sequence[float] = BACKOFF_SECONDS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self.display = display
        self._factory = runner_factory or (lambda p, ev: MonitorRunner(p, events=ev, display=display))
        self.backoff = tuple(backoff)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._runner: MonitorRunner | None = None
        self._pause: tuple[bool, float | None] | None = None  # (paused, until monotonic)
        self.state: str = MonitorState.STOPPED
        self.state_detail = ""
        self.restarts = 0

    # ---- control (thread-safe, call from any thread) ------------------------------------
    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            if self._runner is not None:
                self._runner.request_stop()

    def pause(self, seconds: float | None) -> None:
        """Pause for ``seconds`` (e.g. 900, 3600) or until ``resume()`` when None."""
        with self._lock:
            self._pause = (True, None if seconds is None else time.monotonic() + seconds)
            if self._runner is not None:
                self._runner.request_pause(seconds)

    def resume(self) -> None:
        with self._lock:
            self._pause = None
            if self._runner is not None:
                self._runner.request_resume()

    def reload_settings(self) -> None:
        with self._lock:
            if self._runner is not None:
                self._runner.request_reload()

    def shutdown(self, thread: QThread, timeout_ms: int = 10_000) -> bool:
        """Stop the loop (open span written) and wait for the thread; True when it ended in time."""
        self.stop()
        thread.quit()
        return bool(thread.wait(timeout_ms))

    # ---- worker thread --------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        attempt = 0
        try:
            while not self._stopping.is_set():
                runner = self._factory(self.profile, _SignalEvents(self))
                with self._lock:
                    self._runner = runner
                    self._reapply_pause(runner)
                started = time.monotonic()
                try:
                    runner.run()
                    break
                except NoConsentError as exc:
                    self._set_state(MonitorState.NO_CONSENT, str(exc))
                    break
                except Exception as exc:  # noqa: BLE001 - any crash: log, report, restart with backoff
                    log.exception("monitoring loop crashed")
                    if time.monotonic() - started > STABLE_SECONDS:
                        attempt = 0
                    attempt += 1
                    self.restarts += 1
                    self._count_restart()
                    self.error.emit(f"Monitoring stopped unexpectedly ({type(exc).__name__}: {exc}); "
                                    "it restarts automatically.")
                    delay = self.backoff[min(attempt - 1, len(self.backoff) - 1)] if self.backoff else 0.0
                    self._set_state(MonitorState.RESTARTING, f"in {delay:g} s")
                    if self._stopping.wait(delay):
                        break
                    self.restarted.emit(attempt)
                finally:
                    with self._lock:
                        self._runner = None
        finally:
            if self.state not in (MonitorState.STOPPED, MonitorState.NO_CONSENT):
                self._set_state(MonitorState.STOPPED, "")
            self.profile.db.close_thread()
            self.finished.emit()

    def _reapply_pause(self, runner: MonitorRunner) -> None:
        if self._pause is None:
            return
        _, until = self._pause
        if until is None:
            runner.request_pause(None)
        elif until > time.monotonic():
            runner.request_pause(until - time.monotonic())
        else:
            self._pause = None

    def _count_restart(self) -> None:
        try:
            MonitorStore(self.profile.db).bump("monitor_restarts")
        except Exception as exc:  # noqa: BLE001 - the counter must not stop the restart
            log.warning("monitor_restarts not counted: %s", exc)

    def _set_state(self, state: str, detail: str) -> None:
        self.state, self.state_detail = state, detail
        self.stateChanged.emit(state, detail)


def start_in_thread(agent: MonitorAgent) -> QThread:
    """Move ``agent`` to a new QThread named "monitor", start it, and return the thread."""
    thread = QThread()
    thread.setObjectName("monitor")
    agent.moveToThread(thread)
    thread.started.connect(agent.run)
    agent.finished.connect(thread.quit)
    thread.start()
    return thread
