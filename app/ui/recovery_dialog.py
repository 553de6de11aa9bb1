"""The dialog shown at start when the database failed its check, before any window exists.

Three ways out, each saying what happens to the damaged file (it is kept, never deleted):
restore the newest backup that passes ``integrity_check``, start with an empty database, or
quit and leave everything as it is (e.g. to ask for help first). Needs a QApplication only.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import StorageError
from app.paths import AppPaths
from app.storage.backup import BackupInfo
from app.storage.recovery import (
    Health,
    RecoveryResult,
    check_database,
    newest_good_backup,
    recover_with_backup,
    start_empty,
)

log = logging.getLogger(__name__)

RESTORE = "restore"
EMPTY = "empty"
QUIT = "quit"


class RecoveryDialog(QDialog):
    """Asks what to do with a damaged database; the answer is in ``choice`` after ``exec()``."""

    def __init__(self, paths: AppPaths, health: Health, best: BackupInfo | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("WFH Agent: the database is damaged")
        self.choice = QUIT
        self.best = best
        when = best.taken_at.astimezone().strftime("%Y-%m-%d %H:%M") if best else ""
        text = (
            f"<p>The local database <b>{paths.db_path.name}</b> could not be read or failed its "
            f"integrity check:</p><p><i>{health.problem}</i></p>"
            "<p>Whatever you choose, the damaged file is kept beside it as "
            f"<tt>{paths.db_path.name}.corrupt-&lt;time&gt;</tt>; nothing is deleted.</p>"
        )
        if best is None:
            text += "<p>No intact backup was found in the <tt>backups</tt> folder.</p>"
        else:
            text += f"<p>The newest intact backup was taken on {when}. Work after that time is not in it.</p>"
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)

        buttons = QDialogButtonBox()
        self.restore_button = QPushButton(f"Restore backup from {when}" if best else "Restore newest good backup")
        self.restore_button.setEnabled(best is not None)
        self.empty_button = QPushButton("Start with an empty database")
        self.quit_button = QPushButton("Quit")
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.empty_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        (self.restore_button if best else self.quit_button).setDefault(True)
        self.restore_button.clicked.connect(lambda: self._choose(RESTORE))
        self.empty_button.clicked.connect(lambda: self._choose(EMPTY))
        self.quit_button.clicked.connect(lambda: self._choose(QUIT))

        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        if choice == QUIT:
            self.reject()
        else:
            self.accept()


def apply_choice(choice: str, paths: AppPaths) -> RecoveryResult | None:
    """Carry out the user's choice; ``None`` for quit (nothing touched)."""
    if choice == RESTORE:
        return recover_with_backup(paths.db_path, paths.backups_dir)
    if choice == EMPTY:
        return start_empty(paths.db_path)
    return None


def offer_recovery(paths: AppPaths, health: Health, parent: QWidget | None = None) -> bool:
    """Show the dialog and act on it; True when the app may go on starting, False to quit."""
    dialog = RecoveryDialog(paths, health, newest_good_backup(paths.backups_dir), parent)
    dialog.exec()
    try:
        result = apply_choice(dialog.choice, paths)
    except (StorageError, OSError) as exc:
        log.error("recovery failed: %s", exc)
        QMessageBox.critical(parent, "WFH Agent: recovery failed",
                             f"{exc}\n\nNothing was deleted. The app will quit now.")
        return False
    if result is None:
        return False
    log.warning("recovered: damaged database kept as %s, restored from %s", result.aside, result.restored_from)
    return True


def check_and_recover(paths: AppPaths, parent: QWidget | None = None) -> bool:
    """Start-up gate, after the QApplication exists and before ``Profile.open``.

    Runs ``quick_check``; a healthy or missing database passes silently. A damaged one gets the
    dialog; a locked or unopenable one gets an explanation. True means: go on starting.
    """
    try:
        health = check_database(paths.db_path)
    except StorageError as exc:
        log.error("database check failed: %s", exc)
        QMessageBox.critical(parent, "WFH Agent cannot open its database", str(exc))
        return False
    if health.ok:
        return True
    log.error("database failed quick_check: %s", health.problem)
    return offer_recovery(paths, health, parent)
