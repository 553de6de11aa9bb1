"""Settings, grouped in pages and built from the declarative list in ``settings_fields.py``.

Values come from and go to the profile's ``Settings`` (config.json, mode 0600); the API key
goes to ``ApiKeyStore`` and is never shown again after entry. Settings set by environment
variables are shown but locked, with the variable named in the tooltip.
Signals: settingsSaved(list changed_keys).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import ENV_OVERRIDES, Settings
from app.monitor.categorize import DEFAULT_RULES, rule_problems
from app.paths import AppPaths
from app.sync.keystore import KeyStore
from app.ui.activity.rules_editor import RulesEditor
from app.ui.form_errors import FieldErrors, error_label
from app.ui.patterns_editor import PatternsEditor
from app.ui.settings_fields import DATA_DIR_KEY, FIELDS, PAGES, SettingField
from app.ui.sync.settings_page import SyncSettingsPage

API_KEY_CHANGED = "ingestion.api_key"  # reported in settingsSaved; the key itself is never in config.json


class SettingsDialog(QDialog):
    """The settings dialog: one page per block of ``config.json`` plus Sync and Rules; saves only what changed.

    Signals:
        settingsSaved(list[str] changed): the dotted names of the settings that were saved.
    """

    settingsSaved = Signal(list)

    def __init__(self, settings: Settings, paths: AppPaths, key_store: KeyStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._paths = paths
        self.sync_page = SyncSettingsPage(settings, key_store)
        self.sync_page.save_button.hide()  # the dialog's Save applies the page too
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.errors = FieldErrors()
        self.inputs: dict[str, QWidget] = {}
        self.tabs = QTabWidget()
        self.forms: dict[str, QFormLayout] = {}
        for page in PAGES:
            widget = QWidget()
            if page == "Sync":  # one form for the whole page, so its labels and fields line up
                column = QVBoxLayout(widget)
                column.addWidget(self.sync_page)
                column.addStretch(1)
                self.forms[page] = self.sync_page.form
            else:
                self.forms[page] = QFormLayout(widget)
            self.tabs.addTab(widget, page)
        env_keys = {path: name for name, (path, _kind) in ENV_OVERRIDES.items()}
        overridden = settings.env_overridden()
        self._locked = {field.key for field in FIELDS if field.key in overridden}  # shown, never saved
        for field in FIELDS:
            editor = self._editor(field)
            if field.key in overridden:
                editor.setEnabled(False)
                editor.setToolTip(f"Set by the environment variable {env_keys[field.key]}")
            elif field.help:
                editor.setToolTip(field.help)
            self.inputs[field.key] = editor
            self.forms[field.page].addRow(field.label, editor)
            self.forms[field.page].addRow("", self.errors.make_label(field.key, editor))
        self._follow_switches()
        self._rules_before = list(settings.get("monitoring.rules") or DEFAULT_RULES)
        self.rules_editor = RulesEditor(self._rules_before)
        self.rules_error = error_label()
        rules_page = QWidget()
        rules_layout = QVBoxLayout(rules_page)
        rules_layout.addWidget(self.rules_editor)
        rules_layout.addWidget(self.rules_error)
        self.rules_error.setHidden(False)  # empty until a save finds a broken rule
        self.rules_index = self.add_page(rules_page, "Rules")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        self._connect_signals()

    def _follow_switches(self) -> None:
        """Grey out the fields that have no effect while their switch ("Take screenshots", "Monitor
        activity") is unticked; their values stay and are saved as they are."""
        for field in FIELDS:
            if not field.requires or field.key in self._locked:
                continue
            switch = self.inputs[field.requires]
            assert isinstance(switch, QCheckBox), field.requires
            editor = self.inputs[field.key]
            label = self.forms[field.page].labelForField(editor)

            def follow(on: bool, editor: QWidget = editor, label: QWidget | None = label) -> None:
                editor.setEnabled(on)
                if label is not None:
                    label.setEnabled(on)

            switch.toggled.connect(follow)
            follow(switch.isChecked())

    def add_page(self, widget: QWidget, title: str) -> int:
        """Add a page of widgets that do more than one value each (e.g. the monitoring rules editor)."""
        return self.tabs.addTab(widget, title)

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)

    def _editor(self, field: SettingField) -> QWidget:
        value = self._settings.get(field.key)
        if field.kind == "readonly":
            text = str(self._paths.data_dir) if field.key == DATA_DIR_KEY else str(value)
            label = QLabel(text)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            return label
        if field.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            return box
        if field.kind == "int":
            spin = QSpinBox()
            spin.setRange(field.minimum, field.maximum)
            spin.setSuffix(field.suffix)
            spin.setValue(int(value or 0))
            return spin
        if field.kind == "patterns":
            noun = "titles" if field.key.endswith("titles") else "apps"
            return PatternsEditor([str(p) for p in (value or [])], noun)
        if field.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(field.choices))
            combo.setCurrentIndex(max(0, combo.findText(str(value))))
            return combo
        edit = QLineEdit()
        edit.setText("" if value is None else str(value))
        return edit

    def value_of(self, field: SettingField) -> Any:
        editor = self.inputs[field.key]
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QSpinBox):
            return editor.value()
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QLineEdit):
            return editor.text().strip()
        if isinstance(editor, PatternsEditor):
            return editor.patterns()
        return None

    def _problem(self, field: SettingField, value: Any) -> str | None:
        if field.kind == "patterns":
            for number, pattern in enumerate(value, start=1):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    return f"line {number}: not a valid regular expression ({exc})"
        return self._url_problem(value) if field.kind == "url" else None

    @staticmethod
    def _url_problem(value: str) -> str | None:
        if value:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                return "Server URL: use a full address such as https://ingest.example.com"
        return None

    def _sync_values(self) -> dict[str, Any]:
        """The settings the Sync page writes (to report which of them a save changed)."""
        keys = ("ingestion.api.base_url", "ingestion.api.ca_bundle", "ingestion.batch_size",
                "ingestion.sync.heartbeats_seconds", "ingestion.sync.other_seconds", "ingestion.mode")
        return {key: self._settings.get(key) for key in keys}

    @Slot()
    def try_save(self) -> bool:
        self.errors.clear()
        changes: dict[str, Any] = {}
        for field in FIELDS:
            if field.kind == "readonly" or field.key in self._locked:
                continue
            value = self.value_of(field)
            problem = self._problem(field, value)
            if problem:
                self.errors.show(field.key, problem)
                self.tabs.setCurrentIndex(PAGES.index(field.page))
                return False
            if value != self._settings.get(field.key):
                changes[field.key] = value
        rules = self.rules_editor.rules()
        broken = [f"rule {i + 1}: {'; '.join(problems)}"
                  for i, rule in enumerate(rules) if (problems := rule_problems(rule))]
        if broken:
            self.rules_error.setText("Fix these rules first: " + " · ".join(broken))
            self.tabs.setCurrentIndex(self.rules_index)
            return False
        if rules != self._rules_before:
            changes["monitoring.rules"] = rules
        url_problem = self._url_problem(self.sync_page.url.text().strip())
        if url_problem:
            self.sync_page.show_field_error("url", url_problem)
            self.tabs.setCurrentIndex(PAGES.index("Sync"))
            return False
        before = self._sync_values()
        key_typed = bool(self.sync_page.key.text().strip())
        if not self.sync_page.apply():  # writes the Sync page (key to the keyring / 0600 file)
            self.tabs.setCurrentIndex(PAGES.index("Sync"))
            return False
        for key, value in changes.items():
            self._settings.set(key, value)
        if changes:
            self._settings.save()
        changed = list(changes) + [key for key, value in self._sync_values().items() if before[key] != value]
        if key_typed:
            changed.append(API_KEY_CHANGED)
        self.settingsSaved.emit(changed)
        self.accept()
        return True
