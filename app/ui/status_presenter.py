"""One place that turns the sync status and a running timer into what the user sees: the tray icon and
its tooltip, and the status bar's sync text (the only place when the platform has no tray)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel

from app.sync.status import SyncState, SyncStatus
from app.ui.sync.status import describe, sync_icon
from app.ui.tray import TrayIcon

APP_TITLE = "WFH Agent"


class StatusPresenter(QObject):
    """Shows the sync status (icon + text) and the running timer in the tray, and the sync text in the
    status bar. Signals: none."""

    def __init__(self, tray: TrayIcon | None, label: QLabel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray = tray
        self.label = label
        self.sync_state = SyncState.PENDING
        self.sync_text = "Sync not started"
        self.timer_line = ""
        self.render()

    @Slot(object)
    def show_sync(self, status: SyncStatus) -> None:
        self.sync_state, self.sync_text = status.state, describe(status)
        self.render()

    def set_timer(self, line: str) -> None:
        self.timer_line = line
        self.render()

    def tooltip(self) -> str:
        return "\n".join(part for part in (f"{APP_TITLE} — {self.sync_text}", self.timer_line) if part)

    def render(self) -> None:
        self.label.setText(self.sync_text)
        self.label.setToolTip(GuiQt.convertFromPlainText(self.tooltip()))  # tooltips are rich text otherwise
        if self.tray is not None:
            self.tray.set_state(f"sync:{self.sync_state}", self.tooltip(), icon=sync_icon(self.sync_state))
