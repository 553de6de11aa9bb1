"""Idle inhibitors (a video, a call): time without input counts as active, marked passive (issue 14).

The desktop registries are fake services on a private session bus (tests/monitor/fake_dbus_service.py);
logind's, which lives on the system bus, is served on that session bus too, through the injected opener.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from app.monitor.idle._inhibit import InhibitWatcher
from app.monitor.sampler import Sampler
from app.monitor.window._sway import idle_inhibitors
from tests.monitor.conftest import FakeClock, FakeIdle, FakeWindow
from tests.monitor.test_media import dbus_service, session_bus  # noqa: F401 - the fixture is used by name
from tests.monitor.test_runner import make, rows, ticks


def _session() -> Any:
    from jeepney.io.blocking import open_dbus_connection

    return open_dbus_connection(bus="SESSION")


def _no_bus() -> Any:
    raise OSError("no such bus here")


class FakeGnome:
    """org.gnome.SessionManager answering IsInhibited / GetInhibitors / GetAppId; ``set`` flips IsInhibited."""

    def __init__(self, inhibited: bool, app: str = "org.videolan.VLC") -> None:
        self.proc = dbus_service("org.gnome.SessionManager", {
            "IsInhibited": ["b", inhibited],
            "GetInhibitors": ["ao", ["/org/gnome/SessionManager/Inhibitor7"]],
            "GetAppId": ["s", app],
        })

    def set(self, inhibited: bool) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"IsInhibited {json.dumps(inhibited)}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "set IsInhibited"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


def test_gnome_inhibitor_is_named_by_its_app_id(session_bus: str) -> None:  # noqa: F811
    clock = FakeClock()
    watcher = InhibitWatcher(session=_session, system=_no_bus, mono=clock.mono)
    assert watcher.holders() == []                         # nothing on the bus yet
    gnome = FakeGnome(True)
    try:
        clock.advance(5)
        assert watcher.holders() == ["org.videolan.VLC"]
        gnome.set(False)
        assert watcher.holders() == ["org.videolan.VLC"]   # cached for 2 s: one round trip per tick at most
        clock.advance(5)
        assert watcher.holders() == []
    finally:
        gnome.stop()
        watcher.close()


def test_power_management_inhibit_counts(session_bus: str) -> None:  # noqa: F811
    power = dbus_service("org.freedesktop.PowerManagement", {"HasInhibit": ["b", True]})
    watcher = InhibitWatcher(session=_session, system=_no_bus)
    try:
        assert watcher.holders() == ["an application (power management)"]
    finally:
        power.terminate()
        power.wait(timeout=5)
        watcher.close()


def test_logind_idle_blockers_of_this_user_only(session_bus: str) -> None:  # noqa: F811
    uid = os.getuid()
    logind = dbus_service("org.freedesktop.login1", {"ListInhibitors": ["a(ssssuu)", [
        ["idle:sleep", "firefox", "Playing video", "block", uid, 4242],
        ["sleep", "NetworkManager", "suspend hook", "delay", uid, 17],     # not idle
        ["idle", "zoom", "meeting", "delay", uid, 99],                      # delay, not block
        ["idle", "someone-else", "video", "block", uid + 1, 5],             # another user's
    ]]})
    watcher = InhibitWatcher(session=_no_bus, system=_session, uid=uid)
    try:
        assert watcher.holders() == ["firefox"]
    finally:
        logind.terminate()
        logind.wait(timeout=5)
        watcher.close()


def test_no_bus_at_all_means_no_inhibitor() -> None:
    watcher = InhibitWatcher(session=_no_bus, system=_no_bus)
    assert watcher.holders() == []
    watcher.close()


def test_inhibited_time_is_active_and_passive_then_idle_once_released(
        consented: Any, clock: FakeClock, session_bus: str) -> None:  # noqa: F811
    gnome = FakeGnome(True, app="org.gnome.Totem")
    watcher = InhibitWatcher(session=_session, system=_no_bus, mono=clock.mono)
    try:
        runner, window, idle, _, _ = make(consented, clock, idle_threshold=60, passive_inhibitors=True)
        runner._inhibitors = watcher
        runner.sampler.inhibitors = watcher
        window.set("totem", "Keynote.webm")
        ticks(runner, clock, 6)                          # 30 s of input first
        for _ in range(24):                              # 2 min watching, no input, the player inhibits idle
            idle.idle += 5
            ticks(runner, clock, 1)
        gnome.set(False)
        for _ in range(12):                              # released, still no input: idle from now on
            idle.idle += 5
            ticks(runner, clock, 1)
        runner.stop()
    finally:
        gnome.stop()
        watcher.close()
    got = rows(consented, "SELECT status, passive, window_title FROM heartbeats ORDER BY started_at")
    assert [(r["status"], r["passive"]) for r in got][:3] == [("active", 0), ("active", 1), ("idle", 0)]
    assert got[1]["window_title"] == "Keynote.webm"


def test_setting_off_keeps_inhibited_time_idle(consented: Any, clock: FakeClock) -> None:
    class Held:
        def holders(self) -> list[str]:
            return ["mpv"]

        def close(self) -> None:
            return None

    runner, _, idle, _, _ = make(consented, clock, idle_threshold=60, passive_inhibitors=False)
    assert runner.sampler.inhibitors is None             # the setting is read: no registry asked at all
    runner.sampler.inhibitors = None
    runner._inhibitors = Held()
    ticks(runner, clock, 2)
    for _ in range(24):
        idle.idle += 5
        ticks(runner, clock, 1)
    runner.stop()
    statuses = [r["status"] for r in rows(consented, "SELECT status FROM heartbeats ORDER BY started_at")]
    assert statuses[-1] == "idle"


class _SwayLikeIdle(FakeIdle):
    inhibitors_hide_idle = True


class _SwayLikeWindow(FakeWindow):
    def __init__(self) -> None:
        super().__init__("mpv", "Talk.mkv")
        self.held: list[str] = []

    def inhibitors(self) -> list[str]:
        return self.held


def test_compositor_that_hides_idle_while_inhibited_marks_the_time_passive() -> None:
    """sway stops counting idle under an inhibitor: the sample cannot claim input, so it is passive."""

    class NoRegistry:
        def holders(self) -> list[str]:
            return []

    win, idle = _SwayLikeWindow(), _SwayLikeIdle()
    sampler = Sampler(win, idle, idle_threshold=60, inhibitors=NoRegistry())
    assert not sampler.tick().passive
    win.held = ["mpv"]
    sample = sampler.tick()
    assert sample.status == "active" and sample.passive and sample.window_title == "Talk.mkv"
    sampler.inhibitors = None                            # monitoring.passive_inhibitors off
    assert not sampler.tick().passive


def test_sway_tree_inhibitors_are_the_views_with_inhibit_idle() -> None:
    tree = {"type": "root", "nodes": [{"type": "output", "nodes": [{"type": "workspace", "nodes": [
        {"type": "con", "pid": 1, "name": "Talk.mkv - mpv", "app_id": "mpv", "inhibit_idle": True},
        {"type": "con", "pid": 2, "name": "notes", "app_id": "foot", "inhibit_idle": False},
    ], "floating_nodes": [{"type": "floating_con", "pid": 3, "name": "Call", "app_id": None,
                           "inhibit_idle": True}]}]}]}
    assert idle_inhibitors(tree) == ["mpv", "Call"]


@pytest.mark.parametrize("held", [True, False])
def test_sampler_ignores_window_inhibitors_where_idle_is_still_counted(held: bool) -> None:
    """On X11 the idle counter keeps running under an inhibitor: passive only past the threshold."""

    class Registry:
        def holders(self) -> list[str]:
            return ["vlc"] if held else []

    idle = FakeIdle()
    sampler = Sampler(FakeWindow(), idle, idle_threshold=60, inhibitors=Registry())
    assert not sampler.tick().passive                    # input: never passive, whatever is held
    idle.idle = 120
    sample = sampler.tick()
    assert (sample.status, sample.passive) == (("active", True) if held else ("idle", False))
