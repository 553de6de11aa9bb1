"""The one way to put a message in the window's status bar, with the timeouts in one place.

Workers and dialogs get a ``StatusMessages`` (not the window): ``info`` for results of what the
user just did, ``hint`` for what to do next, ``warning`` for expected problems of background parts
(disk full, a failed daily backup). The slots may be connected to worker signals: Qt queues them
onto the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QStatusBar

INFO_MS = 5_000
RESULT_MS = 10_000
WARNING_MS = 20_000
WARNING_MARK = "⚠ "


class StatusMessages(QObject):
    """Shows transient messages in one status bar. Signals: none."""

    def __init__(self, bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bar = bar

    @Slot(str)
    def info(self, text: str) -> None:
        self._bar.showMessage(text, INFO_MS)

    @Slot(str)
    def result(self, text: str) -> None:
        """The outcome of a longer job (an import, an export): stays a little longer than ``info``."""
        self._bar.showMessage(text, RESULT_MS)

    @Slot(str)
    def warning(self, text: str) -> None:
        self._bar.showMessage(WARNING_MARK + text, WARNING_MS)

    def progress(self, text: str) -> None:
        """Shown until the next message (e.g. "Exporting to …")."""
        self._bar.showMessage(text)

    def hint(self, text: str) -> None:
        """What to do next (empty profile, no week selected): stays until replaced."""
        self._bar.showMessage(text)

    def clear(self) -> None:
        self._bar.clearMessage()
