"""Tray icon: show/hide the window, start/stop the timer, quit; balloon messages.

``set_state(name, tooltip, icon=None)`` changes icon and tooltip; the timer uses ``idle``/
``running``/``warning`` (clock icons from ``icons.py``); other parts pass their own icon (e.g. the
sync states' PNGs). ``add_actions(actions)`` puts more entries above Quit (sync menu, pause menu).
``show_timer_running(bool)`` and ``show_monitor_state(state, detail)`` add badges on whatever icon is set
(▶ timer running, ❚❚ monitoring paused: shapes, readable at 16 px) and a line each in the tooltip.
"Start timer on" is a submenu of recent tasks, filled by the shell each time it opens.
Signals: showHideRequested(), timerToggleRequested(), startTimerRequested(int), quitRequested().
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.monitor.state import MonitorState
from app.ui.activity.pause_menu import describe_state
from app.ui.icons import badged_icon, state_icon


class TrayIcon(QObject):
    """The system-tray icon with its menu (Open/Hide, Start/Stop timer, Quit) and balloon messages.

    Signals:
        showHideRequested(), timerToggleRequested(), quitRequested(),
        startTimerRequested(int task_id): picked from "Start timer on",
        recentMenuAboutToShow(): the submenu opens (the shell fills it with ``set_recent_tasks``).
    """

    showHideRequested = Signal()
    timerToggleRequested = Signal()
    startTimerRequested = Signal(int)
    recentMenuAboutToShow = Signal()
    quitRequested = Signal()

    RECENT_TEXT_CHARS = 48

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.show_action = QAction("Open WFH Agent", self.menu)
        self.timer_action = QAction("Start timer", self.menu)
        self.recent_menu = QMenu("Start timer on", self.menu)
        self.quit_action = QAction("Quit", self.menu)
        self.menu.addAction(self.show_action)
        self.menu.addAction(self.timer_action)
        self.menu.addMenu(self.recent_menu)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.state = ""
        self.base_icon = QIcon()
        self.base_tooltip = ""
        self.timer_running = False
        self.monitoring_paused = ""   # the pause's description ("Monitoring: paused until 19:40"), "" when not
        self.set_state("idle", "WFH Agent")
        self._connect_signals()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def _connect_signals(self) -> None:
        self.show_action.triggered.connect(self.showHideRequested)
        self.timer_action.triggered.connect(self.timerToggleRequested)
        self.quit_action.triggered.connect(self.quitRequested)
        self.recent_menu.aboutToShow.connect(self.recentMenuAboutToShow)
        self.icon.activated.connect(self._on_activated)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.showHideRequested.emit()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_state(self, state: str, tooltip: str, icon: QIcon | None = None) -> None:
        if state != self.state or icon is not None:
            self.base_icon = icon if icon is not None else state_icon(state)
            self.state = state
            self._render_icon()
        self.base_tooltip = tooltip
        self._render_tooltip()

    @Slot(bool)
    def show_timer_running(self, running: bool) -> None:
        if running != self.timer_running:
            self.timer_running = running
            self._render_icon()
        self._render_tooltip()

    @Slot(str, str)
    def show_monitor_state(self, state: str, detail: str) -> None:
        paused = describe_state(state, detail) if state == MonitorState.PAUSED else ""
        changed = bool(paused) != bool(self.monitoring_paused)
        self.monitoring_paused = paused
        if changed:
            self._render_icon()
        self._render_tooltip()

    def _render_icon(self) -> None:
        self.icon.setIcon(badged_icon(self.base_icon, timer_running=self.timer_running,
                                      monitoring_paused=bool(self.monitoring_paused)))

    def _render_tooltip(self) -> None:
        lines = [self.base_tooltip]
        if self.timer_running and "timing" not in self.base_tooltip:
            lines.append("▶ Timer running")
        if self.monitoring_paused:
            lines.append(f"❚❚ {self.monitoring_paused}")
        self.icon.setToolTip("\n".join(line for line in lines if line))

    def add_actions(self, actions: list[QAction]) -> None:
        """Insert entries (and a separator) just above Quit."""
        self.menu.insertActions(self.quit_action, actions)
        self.menu.insertSeparator(self.quit_action)

    def set_window_visible(self, visible: bool) -> None:
        self.show_action.setText("Hide WFH Agent" if visible else "Open WFH Agent")

    def set_timer_text(self, text: str, enabled: bool = True) -> None:
        self.timer_action.setText(text)
        self.timer_action.setEnabled(enabled)

    def set_recent_tasks(self, tasks: list[tuple[int, str]], running_task_id: int | None = None) -> None:
        """Fill "Start timer on" with (task id, name) pairs; names are device data, shown literally."""
        self.recent_menu.clear()
        for task_id, name in tasks:
            text = name if len(name) <= self.RECENT_TEXT_CHARS else name[: self.RECENT_TEXT_CHARS - 1] + "…"
            action = self.recent_menu.addAction(text.replace("&", "&&"))  # "&" would be a mnemonic
            action.setToolTip(name)
            action.setCheckable(True)
            action.setChecked(task_id == running_task_id)
            action.triggered.connect(lambda _checked=False, tid=task_id: self.startTimerRequested.emit(tid))
        if not tasks:
            self.recent_menu.addAction("No tasks yet").setEnabled(False)

    def notify(self, title: str, message: str, warning: bool = False) -> None:
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            kind = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
            self.icon.showMessage(title, message, kind, 8000)
