"""A real headless sway (Debian's sway + foot, as a non-root user): titles through IPC, idle through swayidle."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from app.monitor import idle, session, window
from app.monitor.idle._swayidle import SwayIdleBackend
from app.monitor.journal import METHODS_IN_USE, read_state
from app.monitor.runner import MonitorRunner
from app.monitor.store import MonitorStore
from app.monitor.timeutil import iso_to_ms
from app.monitor.window._sway import SwayWindowBackend
from tests.monitor.conftest import FakeShots
from tests.monitor.sway_support import SwaySession, missing_tools, sway_session

TITLES = ("Sway alpha ✓ notes", "Sway beta — report", "Sway gamma main.py")


@pytest.fixture(scope="module")
def sway() -> Iterator[SwaySession]:
    if missing_tools():   # CI installs them (.ci/run); a developer machine without sway says so
        pytest.skip(f"not installed: {', '.join(missing_tools())} (apt-get install sway foot)")
    with sway_session() as found:
        for title in TITLES:
            found.open_terminal(title)
        yield found


@pytest.fixture
def sway_env(sway: SwaySession, monkeypatch: pytest.MonkeyPatch) -> SwaySession:
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "SWAYSOCK", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP"):
        monkeypatch.delenv(key, raising=False)
    for key, value in sway.env().items():
        monkeypatch.setenv(key, value)
    return sway


def test_sway_ipc_reports_the_focused_title_and_process(sway: SwaySession, qtbot: Any) -> None:
    backend = SwayWindowBackend(sway.socket)
    try:
        for title in (*TITLES, TITLES[0]):
            sway.focus(title)
            qtbot.waitUntil(lambda t=title: (backend.active_window() or window.ActiveWindow(None, "")).title == t,
                            timeout=5000)
            found = backend.active_window()
            assert found is not None and found.pid is not None
            assert psutil.Process(found.pid).name() == "foot"
    finally:
        backend.close()


def test_window_events_wake_the_sampler_at_each_switch(sway: SwaySession, qtbot: Any) -> None:
    backend = SwayWindowBackend(sway.socket)
    woke = threading.Event()
    stop = backend.watch_changes(woke.set)
    assert stop is not None
    try:
        sway.focus(TITLES[1])
        qtbot.waitUntil(woke.is_set, timeout=5000)
        woke.clear()
        sway.focus(TITLES[2])
        qtbot.waitUntil(woke.is_set, timeout=5000)
    finally:
        stop()
        backend.close()


def test_backends_are_chosen_at_run_time_from_the_session(sway_env: SwaySession) -> None:
    found = session.detect()
    assert found.window == session.SWAY and found.idle == "swayidle" and found.titles_available
    chosen_window, chosen_idle = window.create(), idle.create()
    try:
        assert chosen_window.name == "sway" and chosen_idle.name == "swayidle"
    finally:
        chosen_window.close()
        chosen_idle.close()


def test_swayidle_reports_idle_time_and_resets_on_input(sway_env: SwaySession, qtbot: Any) -> None:
    backend = SwayIdleBackend(sway_env.env(), notify_after=1)
    try:
        qtbot.waitUntil(backend.started.is_set, timeout=5000)
        sway_env.touch()
        qtbot.waitUntil(lambda: (backend.idle_seconds() or 0) >= 1.5, timeout=8000)   # no input: idle grows
        sway_env.touch()
        qtbot.waitUntil(lambda: backend.idle_seconds() == 0.0, timeout=5000)
    finally:
        backend.close()
    assert backend.idle_seconds() is None      # ended: "not known", never a made-up 0


def test_titles_match_a_focus_schedule_at_5_s_sampling(sway_env: SwaySession, consented: Any) -> None:
    for key, value in {"sample_interval": 5, "idle_threshold": 180, "screenshots_enabled": False}.items():
        consented.settings.set(f"monitoring.{key}", value)
    runner = MonitorRunner(consented, screenshot_taker=FakeShots())   # backends from the session, not injected
    worker = threading.Thread(target=runner.run, name="monitor")
    sway_env.focus(TITLES[0])
    worker.start()
    truth: list[tuple[float, float, str]] = []
    pause = threading.Event()
    try:
        for index, hold in enumerate((3.0, 6.5, 2.0, 7.5, 4.0, 5.5, 3.5)):
            title = TITLES[index % 3]
            before = time.time()
            sway_env.focus(title)
            sway_env.touch()
            truth.append((before, time.time(), title))
            pause.wait(hold)
    finally:
        runner.request_stop()
        worker.join(30)
    assert runner._window_backend.name == "sway"
    assert read_state(MonitorStore(consented.db), METHODS_IN_USE) == (
        "window titles via sway's IPC (window events); idle via swayidle (the compositor's idle-notify protocol); "
        "lock screen: the locker process")
    end = time.time()
    rows = consented.db.get().execute(
        "SELECT started_at, ended_at, status, process_name, window_title FROM heartbeats ORDER BY started_at"
    ).fetchall()
    spans = [(iso_to_ms(r[0]) / 1000, iso_to_ms(r[1]) / 1000, r[2], r[3], r[4]) for r in rows]
    matched = total = 0.0
    t = truth[0][1]
    while t < min(end, spans[-1][1]):
        current = None
        for before, after, title in truth:
            if t >= before:
                current = title if t >= after else None
        if current is not None:
            total += 0.01
            matched += 0.01 if any(s <= t < e and title == current and status == "active" and app == "foot"
                                   for s, e, status, app, title in spans) else 0.0
        t += 0.01
    print(f"sway titles at 5 s sampling: {matched / total:.2%} of {total:.1f} s match the schedule")
    assert matched / total >= 0.99


def test_a_window_inhibiting_idle_makes_the_time_passive(sway: SwaySession, qtbot: Any) -> None:
    """``inhibit_idle open`` on a view (what a video player's protocol request does): seen in GET_TREE."""
    from app.monitor.sampler import Sampler

    class NoRegistry:
        def holders(self) -> list[str]:
            return []

    backend = SwayWindowBackend(sway.socket)
    idle_backend = SwayIdleBackend(sway.env(), notify_after=60)
    sampler = Sampler(backend, idle_backend, idle_threshold=180, inhibitors=NoRegistry())
    try:
        sway.focus(TITLES[2])
        qtbot.waitUntil(lambda: sampler.tick().window_title == TITLES[2], timeout=5000)
        assert not sampler.tick().passive and backend.inhibitors() == []
        sway.swaymsg(f'[title="^{TITLES[0]}$"] inhibit_idle open')
        sample = sampler.tick()
        assert backend.inhibitors() == ["foot"] and sample.status == "active" and sample.passive
        sway.swaymsg(f'[title="^{TITLES[0]}$"] inhibit_idle none')
        assert not sampler.tick().passive
    finally:
        sway.swaymsg(f'[title="^{TITLES[0]}$"] inhibit_idle none')
        idle_backend.close()
        backend.close()


def test_lock_screen_client_reads_as_locked_while_idle(sway_env: SwaySession, qtbot: Any, tmp_path: Any) -> None:
    """A locker process of this user (swaylock, gtklock, …) while swayidle reports idle: ``locked``."""
    import shutil
    import subprocess

    locker = tmp_path / "swaylock"
    shutil.copy("/bin/sleep", locker)                # a process named swaylock (the real one needs input devices)
    backend = SwayIdleBackend(sway_env.env(), notify_after=1)
    proc = None
    try:
        qtbot.waitUntil(backend.started.is_set, timeout=5000)
        sway_env.touch()
        assert backend.is_locked() is False          # input: never asks for processes
        qtbot.waitUntil(lambda: (backend.idle_seconds() or 0) >= 1.0, timeout=8000)
        assert backend.is_locked() is False          # idle, but no locker
        proc = subprocess.Popen([str(locker), "600"])
        backend._locked = (-1e9, False)              # skip the 2 s re-check interval
        qtbot.waitUntil(lambda: backend.is_locked() is True, timeout=5000)
        proc.terminate()
        proc.wait(timeout=5)
        backend._locked = (-1e9, False)
        assert backend.is_locked() is False
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        backend.close()
    assert backend.is_locked() is None               # swayidle ended: not known
