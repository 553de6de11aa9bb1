"""Show an expected failure (disk full, a task deleted meanwhile) as a message, not a traceback."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from app.errors import WfhError

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, title: str, exc: WfhError) -> None:
    log.warning("%s: %s", title, exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title, str(exc), QMessageBox.StandardButton.Ok, parent)
    box.open()  # window-modal, does not block the caller
