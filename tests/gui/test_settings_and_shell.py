"""Settings dialog, API key storage, diagnostics, layout persistence, quit paths, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.sync.keystore import KeyStore
from app.ui.settings_dialog import API_KEY_CHANGED, SettingsDialog
from app.ui.settings_fields import DATA_DIR_KEY, FIELDS, PAGES
from app.ui.shell import Shell
from tests.gui.conftest import make_week

REPO = Path(__file__).resolve().parents[2]


def _settings_dialog(context, parent=None):
    paths = context.profile.paths
    return SettingsDialog(context.profile.settings, paths, KeyStore(paths.key_file, environ={}, backend=None), parent)


def test_every_page_has_fields_and_data_dir_is_read_only(context, qtbot):
    dialog = _settings_dialog(context)
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [*PAGES, "Rules"]
    assert {f.page for f in FIELDS} == set(PAGES)
    assert dialog.inputs[DATA_DIR_KEY].text() == str(context.profile.paths.data_dir)
    for field in FIELDS:
        if field.kind != "readonly":
            assert context.profile.settings.get(field.key) is not None, field.key


def test_settings_save_to_config_and_api_key_never_to_config(context, qtbot):
    key = "wfh_ABCD1234_" + "k" * 40
    dialog = _settings_dialog(context)
    qtbot.addWidget(dialog)
    dialog.inputs["emp_id"].setValue(4711)
    dialog.sync_page.url.setText("https://ingest.example.com")
    dialog.sync_page.key.setText(key)
    dialog.inputs["retention.sync_log_days"].setValue(21)
    with qtbot.waitSignal(dialog.settingsSaved) as saved:
        dialog.save_button.click()
    assert set(saved.args[0]) == {"emp_id", "ingestion.api.base_url", "retention.sync_log_days", API_KEY_CHANGED}
    config_path = context.profile.paths.config_path
    config = json.loads(config_path.read_text())
    assert config["emp_id"] == 4711 and config["retention"]["sync_log_days"] == 21
    assert config["ingestion"]["api"]["base_url"] == "https://ingest.example.com"
    assert key not in config_path.read_text()
    key_file = context.profile.paths.key_file
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = _settings_dialog(context)
    qtbot.addWidget(again)
    assert again.sync_page.key.text() == ""  # never shown again, only its prefix
    assert "ABCD1234" in again.sync_page.key.placeholderText() and key not in again.sync_page.key.placeholderText()
    assert again.inputs["emp_id"].value() == 4711


def test_malformed_api_key_is_refused_and_nothing_saved(context, qtbot):
    dialog = _settings_dialog(context)
    qtbot.addWidget(dialog)
    dialog.sync_page.key.setText("not-a-key")
    assert dialog.try_save() is False
    assert "not a WFH Agent API key" in dialog.sync_page.errors.visible_errors()["key"]
    assert dialog.sync_page.result.text() == ""  # said once, at the field
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Sync"
    assert not context.profile.paths.key_file.exists()


def test_bad_server_url_is_shown_inline_and_nothing_saved(context, qtbot):
    dialog = _settings_dialog(context)
    qtbot.addWidget(dialog)
    dialog.inputs["emp_id"].setValue(5)
    dialog.sync_page.url.setText("ingest.example.com")
    dialog.save_button.click()
    assert "https://" in dialog.sync_page.errors.visible_errors()["url"]
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Sync"
    assert not context.profile.paths.config_path.exists()


def test_diagnostics_shows_version_schema_rows_and_hit_rate(window, context, qtbot, shell):
    make_week(context, "W1", tasks=3)
    context.data.list_weeks()
    context.data.list_weeks()
    dialog = shell.menu_bar.open_diagnostics()
    with qtbot.waitSignal(dialog.collected, timeout=10_000):
        pass
    text = dialog.text.toPlainText()
    assert f"Schema version:   {context.profile.schema_version}" in text
    assert "Cache hit rate:" in text and "tasks_optimized" in text and "Integrity:        ok" in text
    assert str(context.profile.paths.data_dir) in text


def test_layout_and_last_week_persist_across_restarts(qtbot, context, clock, answers):
    make_week(context, "Old", tasks=1)
    wanted = make_week(context, "Wanted", tasks=1)
    make_week(context, "Newest", tasks=1)
    first_shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    first = first_shell.window
    qtbot.addWidget(first)
    first.resize(760, 600)  # fits the offscreen screen, so restoreGeometry does not clamp it
    first.show()
    first.weeks.select_week(wanted)
    first.splitter.setSizes([320, 440])
    first.tasks.table.setColumnWidth(0, 222)
    first_shell.quit()
    from app.ui.state import UiState

    context.state = UiState.load(context.profile.paths.data_dir)
    second = Shell(context, clock=clock, use_tray=False, confirm=answers).window
    qtbot.addWidget(second)
    second.show()
    assert second.weeks.selected_week_id() == wanted
    assert second.windowTitle() == "WFH Agent — Wanted"
    assert second.tasks.table.columnWidth(0) == 222
    assert second.size() == first.size()
    assert second.splitter.sizes() == first.splitter.sizes()


def test_quit_stops_a_running_timer_and_keeps_its_time(window, context, clock, shell):
    week_id = make_week(context, "W1", tasks=1)
    task = context.data.get_week_tasks(week_id)[0]
    shell.timer.start(task.id)
    clock.advance(42)
    shell.quit()
    assert context.data.get_task(task.id).duration_seconds == task.duration_seconds + 42
    assert shell.timer.pending_recovery() is None


@pytest.mark.timeout(60)
def test_sigterm_quits_cleanly_and_saves_the_running_timer(data_dir):
    """A real app process: start a timer, SIGTERM, exit 0 with the time saved like Quit does."""
    script = (
        "import sys; sys.argv=['wfh']\n"
        "from PySide6.QtCore import QTimer\n"
        "from app.ui.launch import make_application, TerminationWatcher\n"
        "from app.ui.context import AppContext\n"
        "from app.ui.shell import Shell\n"
        "app = make_application()\n"
        f"ctx = AppContext.open({str(data_dir)!r})\n"
        "w = ctx.data.create_week('W'); t = ctx.data.create_task(w, {'project_name': 'p'})\n"
        "shell = Shell(ctx, use_tray=False); shell.window.show()\n"
        "watcher = TerminationWatcher(shell.quit)\n"
        "shell.timer.start(t)\n"
        "QTimer.singleShot(300, lambda: print('READY', flush=True))\n"
        "app.aboutToQuit.connect(ctx.close)\n"
        "code = app.exec(); watcher.close(); print('EXIT', code, flush=True)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "EXIT 0" in out
    from app.profile import Profile

    profile = Profile.open(data_dir)
    try:
        events = [r[0] for r in profile.db.get().execute("SELECT event_type FROM task_events ORDER BY id")]
        saved = profile.db.get().execute("SELECT value FROM settings WHERE key = 'timer.running'").fetchone()
    finally:
        profile.close()
    assert events[-1] == "timer_stop"
    assert saved is None
    assert (data_dir / "ui_state.json").exists()


def test_start_at_login_setting_writes_the_autostart_entry(window, context, qtbot, tmp_path, monkeypatch, shell):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "wfh-agent.desktop"
    dialog = shell.menu_bar.open_settings()
    dialog.inputs["general.autostart"].setChecked(True)
    with qtbot.waitSignal(dialog.settingsSaved):
        dialog.save_button.click()
    text = entry.read_text()
    assert "--minimized" in text and str(context.profile.paths.data_dir) in text
    dialog = shell.menu_bar.open_settings()
    dialog.inputs["general.autostart"].setChecked(False)
    with qtbot.waitSignal(dialog.settingsSaved):
        dialog.save_button.click()
    assert not entry.exists() or "Hidden=true" in entry.read_text()


def test_log_level_setting_applies_at_once(window, qtbot, shell):
    import logging

    dialog = shell.menu_bar.open_settings()
    dialog.inputs["general.log_level"].setCurrentText("DEBUG")
    with qtbot.waitSignal(dialog.settingsSaved):
        dialog.save_button.click()
    assert logging.getLogger().level == logging.DEBUG
    logging.getLogger().setLevel(logging.WARNING)


def test_rules_and_exclusions_are_edited_in_settings(context, qtbot):
    dialog = _settings_dialog(context)
    qtbot.addWidget(dialog)
    editor = dialog.rules_editor
    editor.set_rules([{"app": "(unclosed", "category": "productive"}])
    assert dialog.try_save() is False
    assert "rule 1" in dialog.rules_error.text() and dialog.tabs.currentIndex() == dialog.rules_index
    editor.set_rules([{"app": "^code$", "category": "productive", "name": "Coding"}])
    editor.test_app.setText("code")
    assert editor.update_test() == "Rule 1 (Coding) → productive"
    dialog.inputs["monitoring.exclusions.titles"].text.setPlainText("(?i)bank\n[broken")
    assert dialog.try_save() is False
    assert "line 2" in dialog.errors.visible_errors()["monitoring.exclusions.titles"]
    dialog.inputs["monitoring.exclusions.titles"].text.setPlainText("(?i)bank\n(?i)payroll")
    with qtbot.waitSignal(dialog.settingsSaved) as saved:
        assert dialog.try_save() is True
    assert {"monitoring.rules", "monitoring.exclusions.titles"} <= set(saved.args[0])
    config = json.loads(context.profile.paths.config_path.read_text())
    assert config["monitoring"]["rules"] == [{"app": "^code$", "category": "productive", "name": "Coding"}]
    assert config["monitoring"]["exclusions"]["titles"] == ["(?i)bank", "(?i)payroll"]
