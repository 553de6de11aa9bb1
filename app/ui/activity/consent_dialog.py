"""First-run consent dialog: shows exactly what is captured and sent; Accept records consent.

Embed: ``if not ConsentDialog.ensure(profile, parent): ...`` before starting ``MonitorAgent``;
returns True when consent exists or was just given. Nothing is captured without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.monitor import consent, session

if TYPE_CHECKING:
    from app.profile import Profile


class ConsentDialog(QDialog):
    """First-run consent: shows exactly what is captured and sent; Accept records consent (``ensure``)."""

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle("Monitoring — your consent")
        self.text = QPlainTextEdit(consent.CONSENT_TEXT)
        self.text.setReadOnly(True)
        self.buttons = QDialogButtonBox()
        self.accept_button = self.buttons.addButton("I agree — start monitoring",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.decline_button = self.buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Please read what monitoring records before it starts:"))
        layout.addWidget(self.text)
        # What this desktop actually lets us record, before the user agrees to it.
        found = session.detect()
        self.session_note = QLabel("" if found.titles_available else f"⚠ {found.window_note}\n{found.idle_note}")
        self.session_note.setTextFormat(Qt.TextFormat.PlainText)
        self.session_note.setWordWrap(True)
        self.session_note.setVisible(not found.titles_available)
        layout.addWidget(self.session_note)
        layout.addWidget(self.buttons)
        self.resize(720, 520)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def accept(self) -> None:
        consent.record_consent(self.profile.db.get())
        super().accept()

    @staticmethod
    def ensure(profile: Profile, parent: QWidget | None = None) -> bool:
        if consent.has_consent(profile.db.get()):
            return True
        return ConsentDialog(profile, parent).exec() == QDialog.DialogCode.Accepted
