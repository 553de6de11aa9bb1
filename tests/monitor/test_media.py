"""Passive time: no input but media playing (MPRIS on a private D-Bus session bus) counts as active, marked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.monitor.idle._media import MediaWatcher
from app.monitor.store import MonitorStore
from tests.monitor.conftest import FakeClock
from tests.monitor.test_runner import make, rows, ticks

SERVICE = Path(__file__).with_name("fake_dbus_service.py")


def dbus_service(name: str, answers: dict[str, list[Any]], call_log: Path | None = None) -> subprocess.Popen[str]:
    """tests/monitor/fake_dbus_service.py owning ``name`` on the session bus of DBUS_SESSION_BUS_ADDRESS."""
    extra = [str(call_log)] if call_log is not None else []
    proc = subprocess.Popen([sys.executable, str(SERVICE), name, json.dumps(answers), *extra], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private session bus (what dbus-run-session starts), its address in DBUS_SESSION_BUS_ADDRESS."""
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, text=True)
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    assert address.startswith("unix:"), address
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    try:
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)


class Player:
    """A fake MPRIS player: owns org.mpris.MediaPlayer2.NAME and answers Properties.Get(PlaybackStatus)."""

    def __init__(self, name: str, status: str) -> None:
        self.proc = dbus_service(f"org.mpris.MediaPlayer2.{name}", {"Get:PlaybackStatus": ["v", ["s", status]]})

    def set(self, status: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"Get:PlaybackStatus {json.dumps(['s', status])}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "set Get:PlaybackStatus"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


def test_media_watcher_sees_playing_mpris_players_on_the_session_bus(session_bus: str) -> None:
    clock = FakeClock()
    watcher = MediaWatcher(mono=clock.mono)
    assert watcher.playing() == []
    player, other = Player("fakeplayer", "Playing"), Player("paused_one", "Paused")
    try:
        clock.advance(5)
        assert watcher.playing() == ["fakeplayer"]
        player.set("Paused")
        assert watcher.playing() == ["fakeplayer"]     # cached for 2 s: one round trip per tick at most
        clock.advance(5)
        assert watcher.playing() == []
    finally:
        player.stop()
        other.stop()
        watcher.close()


def test_no_session_bus_means_not_playing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    assert MediaWatcher().playing() == []


def test_media_time_is_active_and_passive_then_idle_starts_when_it_stops(
        consented: Any, clock: FakeClock, session_bus: str) -> None:
    watcher = MediaWatcher(mono=clock.mono)
    player = Player("video", "Playing")
    try:
        runner, window, idle, _, events = make(consented, clock, idle_threshold=60, passive_media=True)
        runner._media = watcher
        runner.sampler.media = watcher
        window.set("mpv", "Talk.mkv - mpv")
        ticks(runner, clock, 6)                          # 30 s of input first
        for _ in range(24):                              # 2 min watching, no input
            idle.idle += 5
            ticks(runner, clock, 1)
        player.set("Stopped")
        for _ in range(12):                              # stopped, still no input: idle from now on
            idle.idle += 5
            ticks(runner, clock, 1)
        runner.stop()
    finally:
        player.stop()
        watcher.close()
    got = rows(consented, "SELECT started_at, ended_at, status, passive, window_title FROM heartbeats "
                          "ORDER BY started_at")
    kinds = [(r["status"], r["passive"]) for r in got]
    assert kinds[:3] == [("active", 0), ("active", 1), ("idle", 0)]
    assert got[1]["window_title"] == "Talk.mkv - mpv"
    passive = MonitorStore(consented.db).spans_between(0, 4_102_444_800_000)
    media_ms = sum(s.duration_ms for s in passive if s.passive)
    assert media_ms >= 60_000                            # the watching time was not turned into idle
    assert events.detected and events.detected[0][0] >= max(s.end_ms for s in passive if s.passive) - 5000


def test_activity_view_shows_passive_time_as_such(qtbot: Any, consented: Any) -> None:
    from datetime import date

    from app.ui.activity import ActivityView
    from app.ui.activity.in_progress import describe
    from tests.monitor.test_store import span

    MonitorStore(consented.db).write_spans([
        span("2026-11-26T08:00:00Z", "2026-11-26T08:20:00Z", process_name="mpv", category="neutral"),
        span("2026-11-26T08:20:00Z", "2026-11-26T09:05:00Z", process_name="mpv", category="neutral"),
    ])
    consented.db.get().execute("UPDATE heartbeats SET passive = 1 WHERE started_at LIKE '%08:20%'")
    view = ActivityView(consented, tz="UTC")
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.dayLoaded, timeout=5000):
        view.show_day(date(2026, 11, 26))
    assert "passive (no input, media or an idle inhibitor) 0:45:00" in view.summary.text()
    held = MonitorStore(consented.db).spans_between(0, 4_102_444_800_000)[1]
    assert held.passive and describe(held).endswith("(45 min 00 s, passive: no input, media or an idle inhibitor)")


def test_gnome_wayland_idle_comes_from_mutter_idle_monitor(session_bus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.monitor import idle

    for key, value in {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0",
                       "XDG_CURRENT_DESKTOP": "GNOME"}.items():
        monkeypatch.setenv(key, value)
    monitor = dbus_service("org.gnome.Mutter.IdleMonitor", {"GetIdletime": ["t", 72_500]})
    lock = dbus_service("org.gnome.ScreenSaver", {"GetActive": ["b", False]})
    backend = idle.create()
    try:
        assert backend.name == "dbus" and "Mutter" in backend.description
        assert backend.idle_seconds() == 72.5 and backend.is_locked() is False
        assert lock.stdin is not None and lock.stdout is not None
        lock.stdin.write("GetActive true\n")
        lock.stdin.flush()
        assert lock.stdout.readline().strip() == "set GetActive"
        assert backend.is_locked() is True
        monitor.terminate()
        monitor.wait(5)
        assert backend.idle_seconds() is None      # the service went away: "not known", never 0
    finally:
        backend.close()
        for proc in (monitor, lock):
            proc.terminate()
            proc.wait(5)


def test_kde_idle_from_freedesktop_screensaver_and_no_service_falls_back(
        session_bus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.monitor.idle._dbus import DbusIdleBackend

    with pytest.raises(OSError, match="neither"):
        DbusIdleBackend()
    service = dbus_service("org.freedesktop.ScreenSaver", {"GetSessionIdleTime": ["u", 31], "GetActive": ["b", False]})
    try:
        backend = DbusIdleBackend()
        assert "freedesktop" in backend.description and backend.idle_seconds() == 31.0
        backend.close()
    finally:
        service.terminate()
        service.wait(5)
