"""Offered at start when a timer was still running when the app last ended without stopping it."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.timeparse import format_duration
from app.errors import NotFoundError
from app.services.data_service import DataService
from app.storage.timer_store import RunningTimer
from app.ui.timer import TimerController


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%a %d %b %H:%M")
    except ValueError:
        return iso


class TimerRecoveryDialog(QDialog):
    """Signals: resolved(str choice) with choice ``resume``, ``stop`` or ``discard``."""

    resolved = Signal(str)

    def __init__(self, controller: TimerController, data_service: DataService, saved: RunningTimer,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._saved = saved
        self.setWindowTitle("Timer still running")
        try:
            task = data_service.get_task(saved.task_id)
            name = task.display_name
        except NotFoundError:
            name = f"task {saved.task_id} (deleted)"
        until_now = controller.seconds_until_now(saved)
        text = QLabel(
            f"The timer on <b>{name}</b> was running when WFH Agent last closed without stopping it.<br>"
            f"Started {_local_time(saved.started_at)}; last seen {_local_time(saved.last_seen)} "
            f"at <b>{format_duration(saved.elapsed_seconds)}</b>."
        )
        text.setWordWrap(True)
        self.resume_button = QPushButton(f"Resume ({format_duration(until_now)} so far)")
        self.stop_button = QPushButton(f"Stop at {format_duration(saved.elapsed_seconds)}")
        self.discard_button = QPushButton("Discard")
        self.resume_button.setToolTip("Keep counting, including the time the app was closed")
        self.stop_button.setToolTip("Add the time up to when the app was last seen running")
        self.discard_button.setToolTip("Add nothing to the task")
        buttons = QHBoxLayout()
        for button in (self.resume_button, self.stop_button, self.discard_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.resume_button.clicked.connect(lambda: self._choose("resume"))
        self.stop_button.clicked.connect(lambda: self._choose("stop"))
        self.discard_button.clicked.connect(lambda: self._choose("discard"))

    def _choose(self, choice: str) -> None:
        if choice == "resume":
            try:
                self._controller.resume(self._saved)
            except NotFoundError:
                self._controller.discard(self._saved)
        elif choice == "stop":
            self._controller.stop_at_last_known(self._saved)
        else:
            self._controller.discard(self._saved)
        self.resolved.emit(choice)
        self.accept()

    def reject(self) -> None:
        """Closing the window decides nothing: the saved timer is offered again next start."""
        super().reject()
