"""Menu bar of the main window and the dialogs its entries open (import, export, settings, help)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QMenuBar, QMessageBox

from app.ui.timer_recovery import TimerRecoveryDialog
from app.version import __version__

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class MainActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def build_menus(self, bar: QMenuBar) -> None:
        w = self.window
        file_menu = bar.addMenu("&File")
        file_menu.addAction("New week…", w.weeks.open_new_dialog)
        file_menu.addSeparator()
        file_menu.addAction(w.quit_action)
        task_menu = bar.addMenu("&Task")
        for action in (w.tasks.new_action, w.tasks.edit_action, w.tasks.delete_action, w.tasks.timer_action,
                       w.tasks.filter_action):
            task_menu.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("About WFH Agent", self.show_about)

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(self.window, "About WFH Agent",
                          f"WFH Agent {__version__}\nOffline-first time tracker and work-from-home agent.")

    @Slot()
    def offer_timer_recovery(self) -> TimerRecoveryDialog | None:
        """If the last run ended with a timer running, ask: resume, stop at last known time, discard."""
        w = self.window
        saved = w.timer.pending_recovery()
        if saved is None:
            return None
        dialog = TimerRecoveryDialog(w.timer, w.context.data, saved, w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def shutdown(self) -> None:
        """Stop background work started from the menus (called before quitting)."""
