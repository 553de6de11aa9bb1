"""Feedback (issue 15): Sync now without a server says so, file dialogs remember their folder, the timeline
has hour labels, the Activity tab links to what the server stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog

from app.ui import file_dialogs
from app.ui.activity.activity_view import ActivityView, my_data_url
from app.ui.activity.timeline_bar import TimelineBar, hour_step
from app.ui.shell import Shell
from app.ui.sync.status import NO_SERVER_HINT, UPLOADS_OFF_HINT


@pytest.fixture
def workers_shell(qtbot: Any, context: Any, clock: Any, answers: Any) -> Iterator[Shell]:
    context.profile.settings.set("monitoring.sample_interval", 1)
    shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    qtbot.addWidget(shell.window)
    shell.attach_workers()
    shell.window.show()
    yield shell
    shell.stop_workers()
    shell.timer._ticker.stop()


def test_sync_now_without_a_server_says_how_to_set_one_up(workers_shell: Shell, monkeypatch: Any) -> None:
    shell = workers_shell
    started: list[bool] = []
    monkeypatch.setattr(shell.workers.sync, "sync_now", lambda: started.append(True))
    panel = shell.sync_panel
    assert panel is not None and panel.setup_hint.isVisibleTo(panel) and "Settings → Sync" in panel.setup_hint.text()
    shell.sync_actions.sync_now.trigger()
    assert started == []
    assert NO_SERVER_HINT in shell.window.statusBar().currentMessage()
    shell.context.profile.settings.set("ingestion.enabled", False)
    shell.sync_actions.sync_now.trigger()
    assert panel.setup_hint.text() == UPLOADS_OFF_HINT and started == []
    shell.context.profile.settings.set("ingestion.enabled", True)
    shell.context.profile.settings.set("ingestion.api.base_url", "https://wfh.example.com")
    shell.sync_actions.sync_now.trigger()
    assert started == [True] and not panel.setup_hint.isVisibleTo(panel)


def test_file_dialogs_start_in_documents_then_the_last_folder(context: Any, tmp_path: Path, monkeypatch: Any) -> None:
    asked: list[str] = []
    chosen = tmp_path / "exports" / "r.csv"
    chosen.parent.mkdir()

    def fake_save(_parent: Any, _title: str, start: str, _filters: str) -> tuple[str, str]:
        asked.append(start)
        return str(chosen), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    monkeypatch.chdir(tmp_path)
    first = file_dialogs.save_file(None, context.state, "Export", "r.csv", "CSV (*.csv)")
    assert first == chosen
    assert Path(asked[0]).parent == file_dialogs.default_folder() and Path(asked[0]).parent != tmp_path
    file_dialogs.save_file(None, context.state, "Export", "next.csv", "CSV (*.csv)")
    assert Path(asked[1]) == chosen.parent / "next.csv"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a: ("", ""))
    assert file_dialogs.open_file(None, context.state, "Open", "CSV (*.csv)") is None  # cancelled: nothing kept


def test_timeline_labels_hours(qtbot: Any) -> None:
    bar = TimelineBar()
    qtbot.addWidget(bar)
    bar.resize(1200, 60)
    assert [hour for hour, _x in bar.hour_labels()] == list(range(25))
    bar.resize(300, 60)
    labels = bar.hour_labels()
    assert labels[0] == (0, 0.0) and labels[-1][0] == 24 and len(labels) < 25
    assert hour_step(300, 14) == 2 and hour_step(100, 14) == 6


def test_activity_links_to_my_data_only_with_a_server(qtbot: Any, profile: Any) -> None:
    view = ActivityView(profile)
    qtbot.addWidget(view)
    assert not view.server_link.isVisibleTo(view) and view.server_link.text() == ""
    profile.settings.set("ingestion.api.base_url", 'https://wfh.example.com/"><b>x</b>')
    view.update_server_link()
    assert view.server_link.isVisibleTo(view)
    assert 'href="https://wfh.example.com/&quot;&gt;&lt;b&gt;x&lt;/b&gt;/me"' in view.server_link.text()
    assert my_data_url("https://wfh.example.com/") == "https://wfh.example.com/me"
    assert my_data_url("javascript:alert(1)") is None and my_data_url("") is None
