"""Pause monitoring for 15 min / 1 h / until resumed, with the state always shown in the menu title.

Embed in the tray and the menu bar::

    menu = PauseMenu(parent)
    menu.connect_agent(agent)        # actions call agent.pause/resume; state follows stateChanged
    tray_menu.addMenu(menu)

Signals: ``pauseRequested(float seconds)`` (seconds < 0 = until resumed), ``resumeRequested()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from app.monitor.state import MonitorState

PAUSE_CHOICES = (("Pause for 15 minutes", 15 * 60.0), ("Pause for 1 hour", 3600.0),
                 ("Pause until resumed", -1.0))
STATE_TEXT: dict[str, str] = {
    MonitorState.RUNNING: "Monitoring: on", MonitorState.PAUSED: "Monitoring: paused",
    MonitorState.STOPPED: "Monitoring: off", MonitorState.NO_CONSENT: "Monitoring: waiting for consent",
    MonitorState.RESTARTING: "Monitoring: restarting"}


def describe_state(state: str, detail: str) -> str:
    text = STATE_TEXT.get(state, f"Monitoring: {state}")
    if state == MonitorState.PAUSED and detail.startswith("until 20"):
        until = datetime.fromisoformat(detail[6:].replace("Z", "+00:00")).astimezone()
        return f"{text} until {until:%H:%M}"
    if state == MonitorState.PAUSED and detail:
        return f"{text} {detail}"
    return text


class PauseMenu(QMenu):
    """The Pause monitoring menu (for N minutes, until resumed; Resume) shared by menu bar and tray.

    Signals:
        pauseRequested(float seconds): pause for that long (-1 means "until resumed").
        resumeRequested(): resume monitoring now.
    """

    pauseRequested = Signal(float)
    resumeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(STATE_TEXT[MonitorState.STOPPED], parent)
        self.pause_actions: list[QAction] = []
        for label, seconds in PAUSE_CHOICES:
            action = QAction(label, self)
            action.triggered.connect(lambda _checked=False, s=seconds: self.pauseRequested.emit(s))
            self.addAction(action)
            self.pause_actions.append(action)
        self.addSeparator()
        self.resume_action = QAction("Resume monitoring", self)
        self.resume_action.triggered.connect(self.resumeRequested.emit)
        self.addAction(self.resume_action)
        self.set_state(MonitorState.STOPPED, "")

    @Slot(str, str)
    def set_state(self, state: str, detail: str) -> None:
        self.setTitle(describe_state(state, detail))
        self.state = state
        for action in self.pause_actions:
            action.setEnabled(state == MonitorState.RUNNING)
        self.resume_action.setEnabled(state == MonitorState.PAUSED)

    def connect_agent(self, agent: Any) -> None:
        """Wire to a ``MonitorAgent``: actions control it, its state updates the title."""
        agent.stateChanged.connect(self.set_state)
        self.pauseRequested.connect(lambda s: agent.pause(None if s < 0 else s))
        self.resumeRequested.connect(agent.resume)
        self.set_state(agent.state, agent.state_detail)
