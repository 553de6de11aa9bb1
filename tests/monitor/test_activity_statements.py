"""The Activity view shows what is not final yet (the journal) and says when titles cannot be read."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.monitor import session
from app.ui.activity import ActivityView, ConsentDialog
from app.ui.activity.in_progress import InProgressPanel
from app.ui.diagnostics import monitor_lines
from tests.monitor.conftest import FakeClock
from tests.monitor.test_runner import make, rows, ticks


def test_a_new_user_sees_the_current_and_held_spans_marked_in_progress(qtbot: Any, consented: Any) -> None:
    clock = FakeClock(wall=time.time() - 120)
    runner, window, _, _, _ = make(consented, clock, idle_threshold=180)
    window.set("code", "<b>report</b> & notes")          # a hostile title is shown as text, never as markup
    ticks(runner, clock, 8)
    window.set("firefox", "Docs — Mozilla Firefox")
    ticks(runner, clock, 4)
    assert rows(consented, "SELECT COUNT(*) FROM heartbeats")[0][0] == 0   # nothing final yet
    view = ActivityView(consented)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    with qtbot.waitSignal(view.dayLoaded, timeout=5000):
        view.show_day(date.today())
    panel = view.in_progress
    assert panel.lines.isVisibleTo(view) and panel.lines.textFormat() == Qt.TextFormat.PlainText
    text = panel.lines.text()
    assert text.count("in progress · ") == 2
    assert "code — <b>report</b> & notes  (40 s)" in text and "firefox — Docs" in text
    assert "kept back for 3 min" in panel.heading.text() and "idle time" in panel.heading.text()
    marked = view.timeline.segments(in_progress=True)
    assert [entry.label for _, _, entry in marked] == ["code", "firefox"]
    view.grab().save(str(consented.paths.data_dir / "activity_in_progress.png"))
    runner.stop()                                         # now final: the in-progress part empties
    view.refresh_in_progress()
    assert not panel.lines.isVisibleTo(view) and view.timeline.segments(in_progress=True) == []


def test_the_view_follows_the_journal_while_shown(qtbot: Any, consented: Any) -> None:
    clock = FakeClock(wall=time.time() - 60)
    runner, _, _, _, _ = make(consented, clock)
    view = ActivityView(consented)
    qtbot.addWidget(view)
    view.in_progress_timer.setInterval(50)
    with qtbot.waitSignal(view.dayLoaded, timeout=5000):
        view.show()
    ticks(runner, clock, 3)
    qtbot.waitUntil(lambda: "code — main.py" in view.in_progress.lines.text(), timeout=5000)
    runner.stop()


def gnome_wayland(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0",
                       "XDG_CURRENT_DESKTOP": "GNOME"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SWAYSOCK", raising=False)


def test_unreadable_desktop_is_stated_in_the_activity_view(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    gnome_wayland(monkeypatch)
    panel = InProgressPanel()
    qtbot.addWidget(panel)
    note = session.statement()
    assert note and panel.notice.text() == f"⚠ {note}" and not panel.notice.isHidden()
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.setenv("DISPLAY", ":0")
    readable = InProgressPanel()
    qtbot.addWidget(readable)
    assert readable.notice.isHidden()


def test_consent_screen_and_diagnostics_say_what_this_desktop_allows(
        qtbot: Any, profile: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    gnome_wayland(monkeypatch)
    dialog = ConsentDialog(profile)
    qtbot.addWidget(dialog)
    assert not dialog.session_note.isHidden()
    assert "Window titles are not available on this desktop (GNOME on Wayland)" in dialog.session_note.text()
    assert "Idle time: from GNOME over D-Bus" in dialog.session_note.text()
    lines = monitor_lines(session.detect())
    assert lines[0].endswith("wayland / gnome") and "GNOME on Xorg" in lines[1] and "Idle time" in lines[2]
    monkeypatch.setenv("SWAYSOCK", "/run/user/1000/sway-ipc.sock")
    lines = monitor_lines(session.detect())
    assert "sway’s IPC" in lines[1]
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.delenv("SWAYSOCK")
    monkeypatch.setenv("DISPLAY", ":0")
    x11 = ConsentDialog(profile)
    qtbot.addWidget(x11)
    assert x11.session_note.isHidden()
