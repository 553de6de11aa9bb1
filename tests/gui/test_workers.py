"""The shell with its background workers: monitoring and sync threads, tray/menus, idle decisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.monitor import consent
from app.sync.status import SyncReason, SyncState, SyncStatus
from app.ui.activity import ADD_TO_TASK, DISCARD, IdlePrompt
from app.ui.shell import Shell
from app.ui.workers import BackgroundWorkers
from tests.gui.conftest import make_week


@pytest.fixture
def workers_shell(qtbot: Any, context: Any, clock: Any, answers: Any) -> Iterator[tuple[Shell, BackgroundWorkers]]:
    settings = context.profile.settings
    settings.set("monitoring.screenshots_enabled", False)  # no X server here to capture
    settings.set("monitoring.sample_interval", 1)
    settings.save()
    shell = Shell(context, clock=clock, use_tray=True, confirm=answers)
    qtbot.addWidget(shell.window)
    workers = shell.attach_workers()
    yield shell, workers
    shell.stop_workers()
    shell.timer._ticker.stop()


def test_views_menus_and_tray_entries_are_added(workers_shell: Any) -> None:
    shell, workers = workers_shell
    win = shell.window
    tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    assert tabs == ["Tasks", "Statistics", "Reports", "Activity", "Sync"]
    menus = [a.text() for a in win.menuBar().actions()]
    assert menus[-2:] == ["&Monitoring", "&Help"]
    tray_entries = [a.text() for a in shell.tray.menu.actions() if a.text()]
    for wanted in ("Sync now", "Work offline", "Quit"):
        assert wanted in tray_entries
    assert any(a.menu() is shell.pause_menu for a in shell.tray.menu.actions())


def test_one_work_offline_action_in_menu_tray_and_sync_panel(workers_shell: Any) -> None:
    """The three places share one QAction: switching it anywhere, or the worker reporting, moves all three."""
    shell, workers = workers_shell
    offline = shell.sync_actions.work_offline
    monitoring = next(a.menu() for a in shell.window.menuBar().actions() if a.text() == "&Monitoring")
    assert offline in monitoring.actions() and offline in shell.tray.menu.actions()
    asked: list[bool] = []
    shell.sync_actions.workOfflineToggled.connect(asked.append)
    switch = shell.sync_panel.offline_switch
    switch.click()
    assert asked == [True] and offline.isChecked() and switch.isChecked()
    shell.sync_actions.show_status(SyncStatus(SyncState.SYNCED))
    assert not offline.isChecked() and not switch.isChecked()
    assert asked == [True], "following the worker does not ask the worker again"
    offline.trigger()  # from the menu or the tray: the panel's switch follows
    assert asked == [True, True] and switch.isChecked()
    assert shell.sync_actions.sync_now.isEnabled()
    shell.sync_actions.show_status(SyncStatus(SyncState.OFFLINE, SyncReason.WORKING_OFFLINE))
    assert offline.isChecked() and not shell.sync_actions.sync_now.isEnabled()


def test_workers_start_report_and_stop(workers_shell: Any, qtbot: Any, context: Any) -> None:
    shell, workers = workers_shell
    consent.record_consent(context.profile.db.get())
    with qtbot.waitSignal(workers.monitor.stateChanged, timeout=10_000,
                          check_params_cb=lambda state, _detail: state == "running"):
        workers.start(ask_consent=True)
    qtbot.waitUntil(lambda: shell.presenter.sync_text.startswith("Local only"), timeout=10_000)
    assert workers.sync.current_status().reason is SyncReason.NOT_SET_UP
    assert "Local only (no server set up)" in shell.tray.icon.toolTip()
    qtbot.waitUntil(lambda: shell.monitor_label.text() == "Monitoring: on", timeout=5000)
    qtbot.wait(2500)  # real sampling at 1 s: let the open span cover a few samples
    workers.stop()
    assert workers.monitor_thread is None and not workers.sync.sync_thread.isRunning()
    written = context.profile.db.get().execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0]
    assert written >= 1, "the open span is closed and written at stop"


def test_monitoring_waits_for_consent(workers_shell: Any, monkeypatch: Any) -> None:
    shell, workers = workers_shell
    from app.ui.activity import ConsentDialog

    monkeypatch.setattr(ConsentDialog, "ensure", staticmethod(lambda profile, parent=None: False))
    assert workers.start_monitoring() is False
    assert workers.monitor_thread is None
    assert shell.monitor_label.text() == "Monitoring: waiting for consent"


@pytest.mark.parametrize("choice", [DISCARD, ADD_TO_TASK])
def test_idle_return_applies_the_choice_to_the_running_timer(workers_shell: Any, context: Any, clock: Any,
                                                             monkeypatch: Any, choice: str) -> None:
    shell, workers = workers_shell
    week = make_week(context, "Idle week")
    task = context.data.create_task(week, {"project_name": "Focus"})
    shell.timer.start(task)
    clock.advance(900)
    asked: list[tuple[Any, ...]] = []
    monkeypatch.setattr(IdlePrompt, "ask", staticmethod(lambda *a, **k: asked.append(a) or choice))
    workers.monitor.idleReturned.emit("2026-11-26T09:05:00Z", "2026-11-26T09:10:00Z", 300.0)
    assert asked and asked[0][3] == "Focus"
    conn = context.profile.db.get()
    if choice == DISCARD:
        assert shell.timer.elapsed() == 600
    else:
        assert shell.timer.elapsed() == 900
        row = conn.execute("SELECT kind, label, started_at, ended_at FROM timeline").fetchone()
        assert tuple(row) == ("task", "Focus", "2026-11-26T09:05:00.000Z", "2026-11-26T09:10:00.000Z")


def test_idle_return_without_a_timer_asks_nothing(workers_shell: Any, monkeypatch: Any) -> None:
    shell, workers = workers_shell
    monkeypatch.setattr(IdlePrompt, "ask", staticmethod(lambda *a, **k: pytest.fail("nothing to decide")))
    workers.monitor.idleReturned.emit("2026-11-26T09:05:00Z", "2026-11-26T09:10:00Z", 300.0)


def test_worker_signals_are_handled_on_the_gui_thread(qtbot: Any, context: Any, clock: Any, answers: Any) -> None:
    """Signals the workers emit on their own threads must reach the window on the GUI thread: a GUI call made
    from a worker thread crashes Qt (seen in CI before every receiver became a GUI-thread slot)."""
    import threading

    from PySide6.QtCore import QThread, QTimer

    shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    win = shell.window
    qtbot.addWidget(win)
    workers = shell.attach_workers()
    seen: list[bool] = []
    # A direct connection runs in whichever thread changes the status bar: that is what we check.
    win.statusBar().messageChanged.connect(
        lambda _text: seen.append(threading.current_thread() is threading.main_thread()),
        Qt.ConnectionType.DirectConnection)
    thread = QThread()
    workers.monitor.moveToThread(thread)  # where the real agent lives while it runs
    thread.start()
    try:
        QTimer.singleShot(0, workers.monitor, lambda: workers.monitor.warning.emit("disk is full"))
        qtbot.waitUntil(lambda: "disk is full" in win.statusBar().currentMessage(), timeout=5000)
    finally:
        thread.quit()
        thread.wait(5000)
        workers.sync.stop()
    assert seen and all(seen)


def test_workers_hold_no_widget_and_ask_through_the_presenter(workers_shell: Any, context: Any) -> None:
    """The workers get a dialog presenter from the shell, never the window (before: ``dialog_parent=window``)."""
    from PySide6.QtWidgets import QWidget

    shell, workers = workers_shell
    assert not [name for name, value in vars(workers).items() if isinstance(value, QWidget)]

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[Any, ...]] = []

        def ensure_consent(self, profile: Any) -> bool:
            self.calls.append(("consent", profile))
            return False

        def ask_idle(self, started_at: str, ended_at: str, seconds: float, task_name: str) -> str:
            self.calls.append(("idle", task_name, seconds))
            return DISCARD

    recorder = Recorder()
    workers.dialogs = recorder
    assert workers.start_monitoring() is False
    week = make_week(context, "Presenter week")
    shell.timer.start(context.data.create_task(week, {"project_name": "Deep work"}))
    workers.monitor.idleReturned.emit("2026-11-26T09:05:00Z", "2026-11-26T09:10:00Z", 300.0)
    assert recorder.calls == [("consent", context.profile), ("idle", "Deep work", 300.0)]
