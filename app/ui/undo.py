"""Undo of the last deletes and edits (Ctrl+Z, Edit → Undo …).

Each entry is the write that puts things back (restore deleted tasks, write the old field values,
move tasks back), recorded by whoever made the change. Text fields keep their own Ctrl+Z: Qt
gives a focused line edit the standard undo key first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence

from app.errors import WfhError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UndoEntry:
    """One undoable change: what the menu says ("Delete 3 tasks") and the write that reverses it."""

    text: str
    undo: Callable[[], object]


class UndoHistory(QObject):
    """The last changes that can be undone, newest last, with the Undo action that reverses them.

    Signals:
        undone(str text): an entry was undone (the status bar says so).
        failed(str message): the menu's Undo could not be done (the task is gone meanwhile).
    """

    undone = Signal(str)
    failed = Signal(str)

    LIMIT = 50

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[UndoEntry] = []
        self.action = QAction("Undo", self)
        self.action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.triggered.connect(self._on_triggered)
        self._update_action()

    def push(self, text: str, undo: Callable[[], object]) -> None:
        self._entries.append(UndoEntry(text, undo))
        del self._entries[:-self.LIMIT]
        self._update_action()

    def can_undo(self) -> bool:
        return bool(self._entries)

    def next_text(self) -> str | None:
        return self._entries[-1].text if self._entries else None

    @Slot()
    def undo(self) -> str | None:
        """Reverse the newest change; raises the ``WfhError`` when that is no longer possible (entry dropped)."""
        if not self._entries:
            return None
        entry = self._entries.pop()
        self._update_action()
        entry.undo()  # a WfhError (task gone meanwhile) reaches the caller; the entry is not retried
        self.undone.emit(entry.text)
        return entry.text

    @Slot()
    def _on_triggered(self) -> None:
        try:
            self.undo()
        except WfhError as exc:
            log.warning("undo failed: %s", exc)
            self.failed.emit(str(exc))

    def _update_action(self) -> None:
        text = self.next_text()
        self.action.setText(f"Undo {text}" if text else "Undo")
        self.action.setEnabled(text is not None)

