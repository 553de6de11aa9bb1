"""Asked when the user comes back after idle (``MonitorAgent.idleReturned``), Toggl-style.

The dialog only returns the choice — ``keep`` (count as idle), ``discard`` (remove the idle time
from the running timer) or ``add_to_task`` (count it as work on the running task); the caller
applies it; ``app.ui.workers.BackgroundWorkers`` does so from a slot (the agent emits
from its own thread, so the receiver must be a GUI-thread QObject's slot, not a lambda).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

KEEP, DISCARD, ADD_TO_TASK = "keep", "discard", "add_to_task"


def away_duration(seconds: float) -> str:
    """Seconds under a minute ("55 s", never "0 min"), minutes under an hour, then hours and minutes."""
    total = max(0, int(round(seconds)))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


def _local_hm(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%H:%M")


class IdlePrompt(QDialog):
    """Asks what to do with idle time a running timer covered: keep, discard, or count it as work on the task."""

    def __init__(self, started_at: str, ended_at: str, seconds: float, task_name: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = KEEP
        self.setWindowTitle("You were away")
        self.message = QLabel(
            f"You were idle for {away_duration(seconds)} ({_local_hm(started_at)}–{_local_hm(ended_at)}). "
            "What should happen with this time?")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.keep_button = self.buttons.addButton("Keep as idle", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = self.buttons.addButton("Discard from timer", QDialogButtonBox.ButtonRole.DestructiveRole)
        label = f"Add to “{task_name}”" if task_name else "Add to running task"
        self.add_button = self.buttons.addButton(label, QDialogButtonBox.ButtonRole.ActionRole)
        self.add_button.setEnabled(task_name is not None)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.keep_button.clicked.connect(lambda: self._choose(KEEP))
        self.discard_button.clicked.connect(lambda: self._choose(DISCARD))
        self.add_button.clicked.connect(lambda: self._choose(ADD_TO_TASK))

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    @staticmethod
    def ask(started_at: str, ended_at: str, seconds: float, task_name: str | None = None,
            parent: QWidget | None = None) -> str:
        dialog = IdlePrompt(started_at, ended_at, seconds, task_name, parent)
        dialog.exec()
        return dialog.choice
