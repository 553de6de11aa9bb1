"""Settings (issue 15): key and URL errors on the field, exclusions in words, rules columns, screenshots off."""

from __future__ import annotations

import socket
from typing import Any

from PySide6.QtWidgets import QHeaderView

from app.config import default_of
from app.monitor.consent import CONSENT_TEXT
from app.sync.keystore import KeyStore
from app.ui.activity.rules_editor import RulesEditor
from app.ui.patterns_editor import describe, pattern_words
from app.ui.settings_dialog import SettingsDialog
from app.ui.settings_fields import FIELDS


def dialog_for(context: Any, qtbot: Any) -> SettingsDialog:
    paths = context.profile.paths
    dialog = SettingsDialog(context.profile.settings, paths, KeyStore(paths.key_file, environ={}, backend=None))
    qtbot.addWidget(dialog)
    return dialog


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_bad_key_on_save_marks_the_key_field(context: Any, qtbot: Any) -> None:
    dialog = dialog_for(context, qtbot)
    page = dialog.sync_page
    page.key.setText("not-a-key")
    assert dialog.try_save() is False
    errors = page.errors.visible_errors()
    assert "not a WFH Agent API key" in errors["key"] and "url" not in errors
    assert page.key.property("invalid") is True and "e05050" in page.key.styleSheet()
    page.key.setText("")
    page.url.setText("ingest.example.com")
    assert dialog.try_save() is False
    assert set(page.errors.visible_errors()) == {"url"} and page.key.property("invalid") is False


def test_test_connection_marks_the_field_it_blames(context: Any, qtbot: Any) -> None:
    dialog = dialog_for(context, qtbot)
    page = dialog.sync_page
    page.url.setText("https://ingest.example.com")
    page.test_connection()  # no key anywhere: the key field is blamed
    assert "No API key" in page.errors.visible_errors()["key"]
    page.key.setText("wfh_ABCD1234_" + "x" * 40)
    page.url.setText(f"http://127.0.0.1:{free_port()}")  # nobody listens: refused, the URL is blamed
    with qtbot.waitSignal(page.testFinished, timeout=20_000) as finished:
        page.test_connection()
    assert finished.args[0]["ok"] is False
    errors = page.errors.visible_errors()
    assert set(errors) == {"url"} and errors["url"] == finished.args[0]["message"]
    assert page.url.property("invalid") is True


def test_exclusions_read_as_words_and_stay_editable(context: Any, qtbot: Any) -> None:
    dialog = dialog_for(context, qtbot)
    apps = dialog.inputs["monitoring.exclusions.apps"]
    assert apps.summary.text() == "apps: keepassxc, keepass, 1password, bitwarden, enpass"
    titles = dialog.inputs["monitoring.exclusions.titles"]
    assert titles.summary.text() == "titles containing: private browsing, incognito, inprivate"
    assert titles.text.isHidden()
    titles.advanced.click()
    assert not titles.text.isHidden()
    titles.text.setPlainText("(?i)bank\n^Pay.*roll$")
    assert titles.summary.text() == "titles containing: bank\ntitles matching the pattern ^Pay.*roll$"
    assert pattern_words(r"^(a\.b|c)$") == (["a.b", "c"], True) and pattern_words("(a)|(b)") is None
    assert describe([], "apps") == "No apps are excluded."
    field = next(f for f in FIELDS if f.key == "monitoring.exclusions.titles")
    assert dialog.value_of(field) == ["(?i)bank", "^Pay.*roll$"]


def test_rules_table_columns_fit_and_explain_themselves(qtbot: Any) -> None:
    editor = RulesEditor()
    qtbot.addWidget(editor)
    header = editor.table.horizontalHeader()
    assert header.sectionResizeMode(3) == QHeaderView.ResizeMode.ResizeToContents
    assert header.sectionResizeMode(4) == QHeaderView.ResizeMode.ResizeToContents
    assert "program name" in editor.table.horizontalHeaderItem(0).toolTip()
    first = editor.table.item(0, 0)
    assert first is not None and first.toolTip() == first.text()


def test_screenshots_are_off_by_default_as_the_consent_text_says() -> None:
    assert default_of("monitoring.screenshots_enabled") is False
    assert "If screenshots are enabled" in CONSENT_TEXT


def test_screenshot_and_monitoring_fields_grey_out_with_their_switch_and_still_save(context: Any, qtbot: Any) -> None:
    """Unticked "Take screenshots" left format, quality, interval and blur editable as if they applied."""
    dialog = dialog_for(context, qtbot)
    shots = dialog.inputs["monitoring.screenshots_enabled"]
    dependent = [f.key for f in FIELDS if f.requires == "monitoring.screenshots_enabled"]
    assert {"monitoring.screenshot_interval", "monitoring.screenshot_blur", "monitoring.screenshot_format"} <= set(
        dependent)
    assert not shots.isChecked()  # off by default
    assert not any(dialog.inputs[key].isEnabled() for key in dependent)
    label = dialog.forms["Privacy"].labelForField(dialog.inputs["monitoring.screenshot_interval"])
    assert label is not None and not label.isEnabled()
    assert dialog.inputs["retention.screenshots_days"].isEnabled()  # old screenshots are still kept or deleted
    shots.setChecked(True)
    assert all(dialog.inputs[key].isEnabled() for key in dependent) and label.isEnabled()
    dialog.inputs["monitoring.screenshot_interval"].setValue(900)
    shots.setChecked(False)  # greyed again: the value typed stays and is saved
    monitor = dialog.inputs["monitoring.enabled"]
    monitor.setChecked(False)
    assert not dialog.inputs["monitoring.sample_interval"].isEnabled()
    assert dialog.try_save() is True
    settings = context.profile.settings
    assert settings.get("monitoring.screenshot_interval") == 900
    assert settings.get("monitoring.screenshots_enabled") is False and settings.get("monitoring.enabled") is False
