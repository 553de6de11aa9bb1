"""Real X11 under Xvfb: active window title and pid, idle via XScreenSaver, screen saver, no X server."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from app.monitor import idle, window
from app.monitor.idle._x11 import X11IdleBackend
from app.monitor.runner import MonitorRunner
from app.monitor.window._x11 import X11WindowBackend
from tests.monitor.conftest import FakeShots
from tests.monitor.x11_support import activate, qt_windows, window_manager, xdotool

pytestmark = pytest.mark.xvfb

TITLES = ("Alpha ✓ editor", "Beta — report.pdf", "x" * 3000)


@pytest.fixture(scope="module")
def desktop(xvfb: str) -> Iterator[tuple[str, Any]]:
    with window_manager(xvfb), qt_windows(xvfb, *TITLES) as proc:
        yield xvfb, proc


def test_active_window_title_and_process_follow_xdotool_focus(desktop: tuple[str, Any], qtbot: Any) -> None:
    display, proc = desktop
    backend = X11WindowBackend(display)
    try:
        for title in TITLES:
            activate(display, title)
            qtbot.waitUntil(lambda t=title: (backend.active_window() or window.ActiveWindow(None, "")).title == t,
                            timeout=5000)
            found = backend.active_window()
            assert found is not None and found.pid == proc.pid
        assert psutil.Process(proc.pid).name().startswith("python")
    finally:
        backend.close()


def test_window_without_pid_is_named_by_its_wm_class(desktop: tuple[str, Any], qtbot: Any) -> None:
    import subprocess

    from tests.support.xvfb import env_with_display

    display, _ = desktop
    proc = subprocess.Popen(["xmessage", "-name", "notes", "Old toolkit window"], env=env_with_display(display),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    backend = X11WindowBackend(display)
    try:
        activate(display, "notes")  # waits for the window to appear, then focuses it
        qtbot.waitUntil(lambda: (backend.active_window() or window.ActiveWindow(None, "")).title == "notes",
                        timeout=5000)
        found = backend.active_window()
        assert found is not None and found.pid is None and found.process_name == "xmessage"
    finally:
        backend.close()
        proc.terminate()
        proc.wait(timeout=5)


def test_idle_grows_without_input_and_resets_on_xdotool_input(desktop: tuple[str, Any], qtbot: Any) -> None:
    display, _ = desktop
    backend = X11IdleBackend(display)
    try:
        xdotool(display, "mousemove", "200", "200")
        qtbot.waitUntil(lambda: (backend.idle_seconds() or 0) >= 0.6, timeout=5000)
        xdotool(display, "mousemove", "300", "300")
        assert (backend.idle_seconds() or 0) < 0.5
        xdotool(display, "key", "shift")
        assert (backend.idle_seconds() or 0) < 0.5
    finally:
        backend.close()


def test_screen_saver_counts_as_locked(desktop: tuple[str, Any]) -> None:
    from Xlib import X
    from Xlib import display as xdisplay

    display, _ = desktop
    backend = X11IdleBackend(display)
    conn = xdisplay.Display(display)
    try:
        conn.force_screen_saver(X.ScreenSaverActive)
        conn.sync()
        assert backend.is_locked() is True
        conn.force_screen_saver(X.ScreenSaverReset)
        conn.sync()
        assert backend.is_locked() is False
    finally:
        conn.close()
        backend.close()


def test_runner_records_real_windows(desktop: tuple[str, Any], consented: Any) -> None:
    display, proc = desktop
    consented.settings.set("monitoring.sample_interval", 1)
    clock = [1_795_000_000.0, 100.0]
    runner = MonitorRunner(consented, display=display, screenshot_taker=FakeShots(),  # type: ignore[arg-type]
                           wall=lambda: clock[0], mono=lambda: clock[1])
    runner.start()
    for title in TITLES[:2]:
        activate(display, title)
        for _ in range(3):
            runner.tick()
            clock[0] += 1
            clock[1] += 1
    runner.stop()
    got = consented.db.get().execute(
        "SELECT process_name, window_title FROM heartbeats ORDER BY started_at").fetchall()
    name = psutil.Process(proc.pid).name()
    assert [tuple(r) for r in got] == [(name, TITLES[0]), (name, TITLES[1])]


def test_no_x_server_reports_unknown_once_and_keeps_working(monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    import app.monitor.idle._unknown as idle_unknown
    import app.monitor.window._unknown as window_unknown

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setattr(window_unknown, "_warned", False)
    monkeypatch.setattr(idle_unknown, "_warned", False)
    with caplog.at_level(logging.WARNING):
        windows = [window.create(), window.create()]
        idles = [idle.create(), idle.create()]
    assert [b.name for b in [*windows, *idles]] == ["unknown"] * 4
    messages = [r.getMessage() for r in caplog.records if "unknown" in r.getMessage()]
    assert len(messages) == 2 and "Wayland" in messages[0]
    assert windows[0].active_window() is None and idles[0].idle_seconds() is None


def test_unreachable_display_falls_back_to_unknown() -> None:
    assert window.create(":250").name == "unknown"
    assert idle.create(":250").name == "unknown"
    assert os.environ.get("QT_QPA_PLATFORM") == "offscreen"


def test_window_switch_wakes_the_sampler_between_long_intervals(desktop: tuple[str, Any], consented: Any,
                                                                qtbot: Any) -> None:
    import threading
    import time

    display, _ = desktop
    consented.settings.set("monitoring.sample_interval", 60)      # no periodic tick during the test
    activate(display, TITLES[0])
    runner = MonitorRunner(consented, display=display, screenshot_taker=FakeShots())  # type: ignore[arg-type]
    worker = threading.Thread(target=runner.run)
    worker.start()
    try:
        qtbot.waitUntil(lambda: runner.state == "running", timeout=5000)
        qtbot.wait(400)
        switched_at = time.time()
        activate(display, TITLES[1])
        qtbot.waitUntil(lambda: (runner.merger.open_span or FakeSpan).window_title == TITLES[1], timeout=5000)
    finally:
        runner.request_stop()
        worker.join(10)
    rows = consented.db.get().execute("SELECT window_title, ended_at FROM heartbeats ORDER BY started_at").fetchall()
    assert [r[0] for r in rows][:1] == [TITLES[0]]
    from app.monitor.timeutil import iso_to_ms

    assert abs(iso_to_ms(rows[0][1]) / 1000 - switched_at) < 0.5   # boundary at the switch, not 60 s later


class FakeSpan:
    window_title = ""
