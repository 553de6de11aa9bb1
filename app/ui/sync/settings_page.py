"""Settings → Sync page: server URL, API key (masked, never shown back), batch size, intervals, mode,
CA bundle and **Test connection**, which runs off the GUI thread (``/health`` then ``/api/v1/me``)
and names the exact problem: DNS, refused, TLS, 401, 403, timeout.

``apply()`` saves; the page then emits ``settingsApplied`` (connect it to
``SyncController.settings_changed``, which also lifts an authentication stop) and, after a
successful test, ``identityConfirmed`` (connect to ``SyncController.identity_confirmed``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.config import Settings
from app.errors import ConfigError
from app.sync.client import check_connection, client_from
from app.sync.keystore import KeyStore, key_prefix, valid_key
from app.ui.background import BackgroundTask, JobControl
from app.ui.form_errors import FieldErrors

# Which field a failed connection test points at: the server's address, or the key it refused.
URL_PROBLEMS = frozenset({"dns", "refused", "tls", "timeout", "network", "http", "invalid"})
KEY_PROBLEMS = frozenset({"unauthorized", "forbidden", "key"})


class SyncSettingsPage(QWidget):
    """Settings → Sync: server URL, API key (masked, kept in the key store), batch size, Test connection.

    Signals:
        settingsApplied(): the page's values were saved.
        identityConfirmed(): Test connection got the key's identity from ``/api/v1/me``.
        testFinished(dict report): a connection test ended (``check_connection``'s report).
    """

    settingsApplied = Signal()
    identityConfirmed = Signal()
    testFinished = Signal(dict)

    def __init__(self, settings: Settings, keystore: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.keystore = keystore
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://ingest.example.com")
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.batch = QSpinBox()
        self.batch.setRange(1, 1000)
        self.heartbeat_interval = QSpinBox()
        self.heartbeat_interval.setRange(30, 86_400)
        self.heartbeat_interval.setSuffix(" s")
        self.other_interval = QSpinBox()
        self.other_interval.setRange(60, 86_400)
        self.other_interval.setSuffix(" s")
        self.mode = QComboBox()
        self.mode.addItem("API (recommended)", "api")
        self.mode.addItem("Direct PostgreSQL (legacy, rollback only)", "postgres")
        self.ca_bundle = QLineEdit()
        self.ca_bundle.setPlaceholderText("optional PEM file with extra trusted CAs")
        self.test_button = QPushButton("Test connection")
        self.save_button = QPushButton("Save")
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setObjectName("testResult")
        self.result.setTextFormat(Qt.TextFormat.PlainText)  # it shows what the server says (device name, messages)
        self.errors = FieldErrors()  # red border and message on the field, like the other forms
        form = self.form = QFormLayout()  # the settings dialog adds the Sync page's other fields to it
        form.addRow("Server URL", self.url)
        form.addRow("", self.errors.make_label("url", self.url))
        form.addRow("API key", self.key)
        form.addRow("", self.errors.make_label("key", self.key))
        form.addRow("Batch size", self.batch)
        form.addRow("Heartbeat upload interval", self.heartbeat_interval)
        form.addRow("Other streams interval", self.other_interval)
        form.addRow("Mode", self.mode)
        form.addRow("CA bundle", self.ca_bundle)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        self._test: BackgroundTask | None = None
        self.test_button.clicked.connect(self.test_connection)
        self.save_button.clicked.connect(self.apply)
        self.load()

    def load(self) -> None:
        get = self.settings.get
        self.url.setText(get("ingestion.api.base_url", "") or "")
        self.batch.setValue(int(get("ingestion.batch_size", 200)))
        self.heartbeat_interval.setValue(int(get("ingestion.sync.heartbeats_seconds", 300)))
        self.other_interval.setValue(int(get("ingestion.sync.other_seconds", 900)))
        self.mode.setCurrentIndex(max(0, self.mode.findData(get("ingestion.mode", "api"))))
        self.ca_bundle.setText(get("ingestion.api.ca_bundle") or "")
        self._show_key_placeholder()

    def _show_key_placeholder(self) -> None:
        self.key.clear()
        stored = self.keystore.get()
        self.key.setPlaceholderText(f"stored: {key_prefix(stored)}… (type to replace)" if stored
                                    else "wfh_XXXXXXXX_… (from your administrator)")

    def _api_block(self) -> dict[str, Any]:
        api = dict(self.settings.get("ingestion.api") or {})
        api["base_url"] = self.url.text().strip().rstrip("/")
        api["ca_bundle"] = self.ca_bundle.text().strip() or None
        return api

    def show_field_error(self, field: str, message: str) -> None:
        """Mark ``url`` or ``key`` red with the message next to it (said once: not again in the result line)."""
        self.errors.clear()
        self.errors.show(field, message)
        self.result.clear()
        (self.url if field == "url" else self.key).setFocus()

    def apply(self) -> bool:
        typed = self.key.text().strip()
        if typed and not valid_key(typed):
            self.show_field_error("key", "This is not a WFH Agent API key (expected wfh_XXXXXXXX_…).")
            return False
        self.errors.clear()
        api = self._api_block()
        self.settings.set("ingestion.api.base_url", api["base_url"])
        self.settings.set("ingestion.api.ca_bundle", api["ca_bundle"])
        self.settings.set("ingestion.batch_size", self.batch.value())
        self.settings.set("ingestion.sync.heartbeats_seconds", self.heartbeat_interval.value())
        self.settings.set("ingestion.sync.other_seconds", self.other_interval.value())
        self.settings.set("ingestion.mode", self.mode.currentData())
        self.settings.save()
        if typed:
            where = self.keystore.set(typed)
            self.result.setText(f"Saved. API key {key_prefix(typed)}… stored in the "
                                f"{'system keyring' if where == 'keyring' else 'key file (0600)'}.")
        else:
            self.result.setText("Saved.")
        self._show_key_placeholder()
        self.settingsApplied.emit()
        return True

    def test_connection(self) -> None:
        """Runs on a helper thread; the answer comes back through a queued signal."""
        typed = self.key.text().strip()
        key = typed or self.keystore.get()
        try:
            client = client_from(self._api_block(), key)
        except ConfigError as exc:
            self._show_result({"ok": False, "message": str(exc), "problem": "invalid", "warnings": []})
            return
        if not key:
            self._show_result({"ok": False, "message": "No API key is set", "problem": "key", "warnings": []})
            return
        if typed and not valid_key(typed):
            self._show_result({"ok": False, "message": "This is not a WFH Agent API key (expected wfh_XXXXXXXX_…).",
                               "problem": "key", "warnings": []})
            return
        self.test_button.setEnabled(False)
        self.result.setText("Testing…")
        emp_id = self.settings.integer("emp_id", minimum=1) or None

        def run(_control: JobControl) -> dict[str, Any]:
            try:
                return check_connection(client, emp_id=emp_id)
            finally:
                client.close()

        self._test = BackgroundTask(run, self)
        self._test.finished.connect(self._show_result)
        self._test.failed.connect(self._on_test_failed)  # a bug must not leave the button disabled
        self._test.start()

    @Slot(str)
    def _on_test_failed(self, message: str) -> None:
        self._show_result({"ok": False, "message": f"Unexpected error: {message}", "problem": "error",
                           "warnings": []})

    @Slot(object)
    def _show_result(self, report: dict[str, Any]) -> None:
        self.test_button.setEnabled(True)
        self.errors.clear()
        problem = report.get("problem")
        at_field = not report.get("ok") and problem in URL_PROBLEMS | KEY_PROBLEMS
        if at_field:  # the message goes next to the field it blames, the result line keeps the warnings
            self.errors.show("url" if problem in URL_PROBLEMS else "key", str(report["message"]))
        lines = [None if at_field else report["message"], *report.get("warnings", [])]
        self.result.setText("\n".join(line for line in lines if line))
        if report.get("ok"):
            self.identityConfirmed.emit()
        self.testFinished.emit(report)
