"""MonitorAgent on a real QThread: states, pause/resume, clean shutdown, crash restart with backoff."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Slot

from app.monitor.agent import MonitorAgent, start_in_thread
from app.monitor.runner import MonitorEvents, MonitorRunner
from tests.monitor.conftest import FakeIdle, FakeShots, FakeWindow


def fast(profile: Any) -> None:
    profile.settings.set("monitoring.sample_interval", 0.2)
    profile.settings.set("monitoring.aggregate_interval", 1)


def factory(profile: Any, events: MonitorEvents) -> MonitorRunner:
    return MonitorRunner(profile, events=events, window_backend=FakeWindow(), idle_backend=FakeIdle(),
                         screenshot_taker=FakeShots())  # type: ignore[arg-type]


class SignalLog(QObject):
    """Lives on the GUI thread, so the agent's signals reach it queued, as they reach real widgets."""

    def __init__(self, agent: MonitorAgent) -> None:
        super().__init__()
        self.states: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.restarts: list[int] = []
        self.finished = False
        agent.stateChanged.connect(self.on_state)
        agent.error.connect(self.on_error)
        agent.restarted.connect(self.on_restarted)
        agent.finished.connect(self.on_finished)

    @Slot(str, str)
    def on_state(self, state: str, detail: str) -> None:
        self.states.append((state, detail))

    @Slot(str)
    def on_error(self, message: str) -> None:
        self.errors.append(message)

    @Slot(int)
    def on_restarted(self, attempt: int) -> None:
        self.restarts.append(attempt)

    @Slot()
    def on_finished(self) -> None:
        self.finished = True

    def last(self) -> str:
        return self.states[-1][0] if self.states else ""


def open_duration(agent: MonitorAgent) -> int:
    runner = agent._runner
    span = runner.merger.open_span if runner is not None else None
    return span.duration_ms if span is not None else 0


def test_agent_runs_pauses_resumes_and_stops_writing_the_open_span(qtbot: Any, consented: Any) -> None:
    fast(consented)
    agent = MonitorAgent(consented, runner_factory=factory)
    seen = SignalLog(agent)
    thread = start_in_thread(agent)
    qtbot.waitUntil(lambda: seen.last() == "running", timeout=5000)
    qtbot.waitUntil(lambda: open_duration(agent) > 0, timeout=5000)   # a second tick extended the span
    agent.pause(900)
    qtbot.waitUntil(lambda: seen.last() == "paused", timeout=5000)
    assert seen.states[-1][1].startswith("until 20")
    agent.resume()
    qtbot.waitUntil(lambda: seen.last() == "running", timeout=5000)
    agent.stop()
    qtbot.waitUntil(lambda: seen.finished, timeout=10_000)
    assert thread.wait(5000)
    assert seen.states[-1] == ("stopped", "")
    statuses = [r[0] for r in consented.db.get().execute("SELECT status FROM heartbeats ORDER BY started_at")]
    assert statuses and statuses[0] == "active"     # the span before the pause, written on pause/stop


def test_agent_without_consent_reports_how_to(qtbot: Any, profile: Any) -> None:
    agent = MonitorAgent(profile, runner_factory=factory)
    seen = SignalLog(agent)
    thread = start_in_thread(agent)
    qtbot.waitUntil(lambda: seen.finished, timeout=5000)
    assert seen.states[-1][0] == "no_consent" and "consent --accept" in seen.states[-1][1]
    assert thread.wait(5000)


def test_crash_is_caught_logged_counted_and_restarted_with_backoff(qtbot: Any, consented: Any) -> None:
    fast(consented)
    calls = {"n": 0}

    def crashing(profile: Any, events: MonitorEvents) -> MonitorRunner:
        runner = factory(profile, events)
        calls["n"] += 1
        if calls["n"] <= 2:
            def boom() -> None:
                raise RuntimeError("sampler exploded")
            runner.tick = boom  # type: ignore[method-assign]
        return runner

    agent = MonitorAgent(consented, runner_factory=crashing, backoff=(0.05, 0.1))
    seen = SignalLog(agent)
    thread = start_in_thread(agent)
    qtbot.waitUntil(lambda: seen.restarts == [1, 2] and seen.last() == "running", timeout=5000)
    assert ("restarting", "in 0.05 s") in seen.states and ("restarting", "in 0.1 s") in seen.states
    agent.stop()
    qtbot.waitUntil(lambda: seen.finished, timeout=10_000)
    assert thread.wait(5000)
    assert len(seen.errors) == 2 and "sampler exploded" in seen.errors[0]
    value = consented.db.get().execute(
        "SELECT value FROM agent_metrics WHERE name = 'monitor_restarts'").fetchone()[0]
    assert value == 2
