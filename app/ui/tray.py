"""Tray icon: show/hide the window, start/stop the timer, quit; balloon messages.

``set_state(name, tooltip)`` changes icon and tooltip; the timer uses ``idle``/``running``/
``warning`` and the sync issue adds its own states the same way (colours in ``icons.py``).
Signals: showHideRequested(), timerToggleRequested(), quitRequested().
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.ui.icons import state_icon


class TrayIcon(QObject):
    showHideRequested = Signal()
    timerToggleRequested = Signal()
    quitRequested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.show_action = QAction("Show window", self.menu)
        self.timer_action = QAction("Start timer", self.menu)
        self.quit_action = QAction("Quit", self.menu)
        self.menu.addAction(self.show_action)
        self.menu.addAction(self.timer_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.state = ""
        self.set_state("idle", "WFH Agent")
        self._connect_signals()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def _connect_signals(self) -> None:
        self.show_action.triggered.connect(self.showHideRequested)
        self.timer_action.triggered.connect(self.timerToggleRequested)
        self.quit_action.triggered.connect(self.quitRequested)
        self.icon.activated.connect(self._on_activated)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.showHideRequested.emit()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_state(self, state: str, tooltip: str) -> None:
        if state != self.state:
            self.icon.setIcon(state_icon(state))
            self.state = state
        self.icon.setToolTip(tooltip)

    def set_window_visible(self, visible: bool) -> None:
        self.show_action.setText("Hide window" if visible else "Show window")

    def set_timer_text(self, text: str, enabled: bool = True) -> None:
        self.timer_action.setText(text)
        self.timer_action.setEnabled(enabled)

    def notify(self, title: str, message: str, warning: bool = False) -> None:
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            kind = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
            self.icon.showMessage(title, message, kind, 8000)
