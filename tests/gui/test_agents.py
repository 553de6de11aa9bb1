"""The window with its background workers: monitoring and sync threads, tray/menus, idle decisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.monitor import consent
from app.sync.engine import NOT_SET_UP
from app.ui.activity import ADD_TO_TASK, DISCARD, IdlePrompt
from app.ui.agents import BackgroundAgents
from app.ui.main_window import MainWindow
from tests.gui.conftest import make_week


@pytest.fixture
def agents_window(qtbot: Any, context: Any, clock: Any, answers: Any) -> Iterator[tuple[MainWindow, BackgroundAgents]]:
    settings = context.profile.settings
    settings.set("monitoring.screenshots_enabled", False)  # no X server here to capture
    settings.set("monitoring.sample_interval", 1)
    settings.save()
    win = MainWindow(context, clock=clock, use_tray=True, confirm=answers)
    qtbot.addWidget(win)
    agents = BackgroundAgents(win)
    yield win, agents
    agents.stop()
    win.timer._ticker.stop()


def test_views_menus_and_tray_entries_are_added(agents_window: Any) -> None:
    win, agents = agents_window
    tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    assert tabs == ["Tasks", "Statistics", "Activity", "Sync"]
    menus = [a.text() for a in win.menuBar().actions()]
    assert menus[-2:] == ["&Monitoring", "&Help"]
    tray_entries = [a.text() for a in win.tray.menu.actions() if a.text()]
    for wanted in ("Sync now", "Work offline", "Quit"):
        assert wanted in tray_entries
    assert any(a.menu() is agents.pause_menu for a in win.tray.menu.actions())


def test_workers_start_report_and_stop(agents_window: Any, qtbot: Any, context: Any) -> None:
    win, agents = agents_window
    consent.record_consent(context.profile.db.get())
    with qtbot.waitSignal(agents.monitor.stateChanged, timeout=10_000,
                          check_params_cb=lambda state, _detail: state == "running"):
        agents.start(ask_consent=True)
    qtbot.waitUntil(lambda: win.status.sync_text.startswith("Local only"), timeout=10_000)
    assert agents.sync.worker.state[1] == NOT_SET_UP
    assert "Local only (no server set up)" in win.tray.icon.toolTip()
    qtbot.waitUntil(lambda: agents.monitor_label.text() == "Monitoring: on", timeout=5000)
    qtbot.wait(2500)  # real sampling at 1 s: let the open span cover a few samples
    agents.stop()
    assert agents.monitor_thread is None and not agents.sync.sync_thread.isRunning()
    written = context.profile.db.get().execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0]
    assert written >= 1, "the open span is closed and written at stop"


def test_monitoring_waits_for_consent(agents_window: Any, monkeypatch: Any) -> None:
    win, agents = agents_window
    from app.ui.activity import ConsentDialog

    monkeypatch.setattr(ConsentDialog, "ensure", staticmethod(lambda profile, parent=None: False))
    assert agents.start_monitoring() is False
    assert agents.monitor_thread is None
    assert agents.monitor_label.text() == "Monitoring: waiting for consent"


@pytest.mark.parametrize("choice", [DISCARD, ADD_TO_TASK])
def test_idle_return_applies_the_choice_to_the_running_timer(agents_window: Any, context: Any, clock: Any,
                                                             monkeypatch: Any, choice: str) -> None:
    win, agents = agents_window
    week = make_week(context, "Idle week")
    task = context.data.create_task(week, {"project_name": "Focus"})
    win.timer.start(task)
    clock.advance(900)
    asked: list[tuple[Any, ...]] = []
    monkeypatch.setattr(IdlePrompt, "ask", staticmethod(lambda *a, **k: asked.append(a) or choice))
    agents.monitor.idleReturned.emit("2026-11-26T09:05:00Z", "2026-11-26T09:10:00Z", 300.0)
    assert asked and asked[0][3] == "Focus"
    conn = context.profile.db.get()
    if choice == DISCARD:
        assert win.timer.elapsed() == 600
    else:
        assert win.timer.elapsed() == 900
        row = conn.execute("SELECT kind, label, started_at, ended_at FROM timeline").fetchone()
        assert tuple(row) == ("task", "Focus", "2026-11-26T09:05:00.000Z", "2026-11-26T09:10:00.000Z")


def test_idle_return_without_a_timer_asks_nothing(agents_window: Any, monkeypatch: Any) -> None:
    win, agents = agents_window
    monkeypatch.setattr(IdlePrompt, "ask", staticmethod(lambda *a, **k: pytest.fail("nothing to decide")))
    agents.monitor.idleReturned.emit("2026-11-26T09:05:00Z", "2026-11-26T09:10:00Z", 300.0)


def test_worker_signals_are_handled_on_the_gui_thread(qtbot: Any, context: Any, clock: Any, answers: Any) -> None:
    """Signals the workers emit on their own threads must reach the window on the GUI thread: a GUI call made
    from a worker thread crashes Qt (seen in CI before every receiver became a GUI-thread slot)."""
    import threading

    from PySide6.QtCore import QThread, QTimer

    win = MainWindow(context, clock=clock, use_tray=False, confirm=answers)
    qtbot.addWidget(win)
    agents = BackgroundAgents(win)
    seen: list[bool] = []
    # A direct connection runs in whichever thread changes the status bar: that is what we check.
    win.statusBar().messageChanged.connect(
        lambda _text: seen.append(threading.current_thread() is threading.main_thread()),
        Qt.ConnectionType.DirectConnection)
    thread = QThread()
    agents.monitor.moveToThread(thread)  # where the real agent lives while it runs
    thread.start()
    try:
        QTimer.singleShot(0, agents.monitor, lambda: agents.monitor.warning.emit("disk is full"))
        qtbot.waitUntil(lambda: "disk is full" in win.statusBar().currentMessage(), timeout=5000)
    finally:
        thread.quit()
        thread.wait(5000)
        agents.sync.stop()
    assert seen and all(seen)
