"""Session detection from the environment (pure): which backends, and what the user is told."""

from __future__ import annotations

from typing import Any

import pytest

from app.monitor import session
from app.monitor.journal import METHODS_IN_USE, read_state
from app.monitor.runner import MonitorRunner
from app.monitor.store import MonitorStore
from tests.monitor.conftest import FakeClock, FakeShots


def test_x11_session_reads_titles_and_idle_from_the_x_server() -> None:
    found = session.detect({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "XFCE"})
    assert (found.window, found.idle, found.desktop) == (session.X11, "x11", "xfce")
    assert session.statement(found) is None


def test_sway_uses_its_ipc_and_swayidle_or_says_what_to_install() -> None:
    env = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-1", "SWAYSOCK": "/run/user/1/sway.sock",
           "DISPLAY": ":0"}   # XWayland's DISPLAY must not win: it only sees X clients
    found = session.detect(env, have_swayidle=True)
    assert (found.window, found.idle, found.swaysock) == (session.SWAY, "swayidle", "/run/user/1/sway.sock")
    without = session.detect(env, have_swayidle=False)
    assert without.idle == "none" and "install swayidle" in without.idle_note


@pytest.mark.parametrize(("desktop", "words", "idle", "idle_words"), [
    ("ubuntu:GNOME", "GNOME on Xorg", "dbus", "from GNOME over D-Bus"),
    ("KDE", "Plasma (X11)", "dbus", "from KDE Plasma over D-Bus"),
    ("Hyprland", "X11 session or sway", "none", "all time counts as active")])
def test_other_wayland_desktops_are_said_to_be_unreadable_with_the_way_out(
        desktop: str, words: str, idle: str, idle_words: str) -> None:
    found = session.detect({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0",
                            "XDG_CURRENT_DESKTOP": desktop})
    note = session.statement(found)
    assert found.window == session.UNREADABLE and note is not None
    assert note.startswith("Window titles are not available on this desktop") and words in note
    assert found.idle == idle and idle_words in found.idle_note


def test_no_graphical_session_is_said_plainly() -> None:
    found = session.detect({})
    assert not found.titles_available and "neither DISPLAY nor WAYLAND_DISPLAY" in found.window_note


def test_unreadable_session_records_empty_titles_never_the_word_unknown(
        consented: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0",
                       "XDG_CURRENT_DESKTOP": "GNOME"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SWAYSOCK", raising=False)
    consented.settings.set("monitoring.screenshots_enabled", False)
    runner = MonitorRunner(consented, screenshot_taker=FakeShots(), wall=clock.wall, mono=clock.mono)
    runner.start()
    assert runner._window_backend.name == "unknown"
    assert runner._window_backend.reason == session.statement()
    for _ in range(3):
        runner.tick()
        clock.advance(5)
    runner.stop()
    in_use = read_state(MonitorStore(consented.db), METHODS_IN_USE)
    assert in_use is not None and in_use.startswith(f"window titles via {session.statement()}; idle via ")
    titles = consented.db.get().execute("SELECT process_name, window_title FROM heartbeats").fetchall()
    assert titles and all(tuple(t) == ("", "") for t in titles)
