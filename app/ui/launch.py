"""Start the desktop app: QApplication, theme, profile, main window, SIGTERM handling.

SIGTERM (logout, ``kill``, service managers) quits exactly like File → Quit: Python's signal
handler only writes to a socket that Qt watches (``signal.set_wakeup_fd`` + QSocketNotifier),
so the handler runs promptly even while Qt's event loop is idle in C++.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys

from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from app.errors import WfhError
from app.paths import resolve_paths
from app.ui.context import AppContext
from app.ui.single_instance import SingleInstance
from app.ui.theme import apply_theme, follow_system

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("WFH Agent")
    app.setOrganizationName("wfh-agent")
    app.setQuitOnLastWindowClosed(False)  # the tray keeps the app alive; Quit ends it
    return app


class TerminationWatcher:
    """Turns SIGTERM/SIGINT into a call of ``on_terminate`` on the Qt thread."""

    def __init__(self, on_terminate: object) -> None:
        self._on_terminate = on_terminate
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)
        self._pending = False

    def _handle(self, signum: int, _frame: object) -> None:
        log.info("received signal %s: quitting", signum)
        self._pending = True

    def _drain(self) -> None:
        try:
            while self._reader.recv(64):
                pass
        except BlockingIOError:
            pass
        if self._pending:
            self._pending = False
            if callable(self._on_terminate):
                self._on_terminate()

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._reader.close()
        self._writer.close()


def run_gui(args: argparse.Namespace) -> int:
    app = make_application()
    smoke = bool(getattr(args, "smoke_test", False))
    instance = SingleInstance(resolve_paths(args.data_dir).lock_name)
    if not smoke and instance.notify_running_instance():
        print("wfh-agent: already running for this profile; its window was brought to the front")
        return 0
    try:
        context = AppContext.open(args.data_dir)
    except WfhError as exc:
        QMessageBox.critical(None, "WFH Agent cannot start", str(exc))
        print(f"wfh-agent: {exc}", file=sys.stderr)
        return 2
    theme = str(context.profile.settings.get("general.theme", "system"))
    apply_theme(app, theme)
    follow_system(app, lambda: context.profile.settings.get("general.theme", "system"))

    from app.ui.main_window import MainWindow

    window = MainWindow(context)
    watcher = TerminationWatcher(window.quit_cleanly)
    if not smoke:
        instance.listen()
        instance.activationRequested.connect(window.show_from_tray)
    app.aboutToQuit.connect(context.close)
    if smoke:
        from app.ui.smoke import run_smoke_test

        code = run_smoke_test(window)
        watcher.close()
        context.close()
        return code
    minimized = bool(getattr(args, "minimized", False)) or bool(context.profile.settings.get("general.start_minimized"))
    if minimized and window.tray is not None:
        window.hide()
    elif minimized:
        window.showMinimized()
    else:
        window.show()
    for problem in context.profile.problems:
        window.statusBar().showMessage(problem, 20_000)
    QTimer.singleShot(0, window.actions_.offer_timer_recovery)
    code = app.exec()
    watcher.close()
    instance.close()
    return int(code)
