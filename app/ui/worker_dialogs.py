"""The two questions the background workers may have to ask the user, behind one small object.

The shell builds ``WorkerDialogs`` over the main window and hands it to ``BackgroundWorkers``, so the
workers can ask for consent or about idle time without ever holding the window. Tests give the
workers a stand-in with the same two methods (``DialogPresenter``).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QWidget

from app.profile import Profile
from app.ui.activity import ConsentDialog, IdlePrompt


class DialogPresenter(Protocol):
    """What ``BackgroundWorkers`` may ask the user (each call blocks in a modal dialog and returns the answer)."""

    def ensure_consent(self, profile: Profile) -> bool:
        """True when monitoring consent is (now) given; False when the user declined."""
        ...

    def ask_idle(self, started_at: str, ended_at: str, seconds: float, task_name: str) -> str:
        """The user's choice for idle time a running timer covered: ``KEEP``, ``DISCARD`` or ``ADD_TO_TASK``."""
        ...


class WorkerDialogs:
    """The real ``DialogPresenter``: the consent and idle dialogs, modal over the widget the shell gave."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent

    def ensure_consent(self, profile: Profile) -> bool:
        return ConsentDialog.ensure(profile, self._parent)

    def ask_idle(self, started_at: str, ended_at: str, seconds: float, task_name: str) -> str:
        return IdlePrompt.ask(started_at, ended_at, seconds, task_name, self._parent)
