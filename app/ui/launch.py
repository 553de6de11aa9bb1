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
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app import crash
from app.errors import DataFolderError, WfhError
from app.logging_setup import set_level, setup_logging
from app.paths import PackageDataMissing, resolve_paths
from app.single_instance import SingleInstance
from app.ui.context import AppContext
from app.ui.daily_jobs import DailyJob, backup_scheduler, retention_scheduler
from app.ui.gc_guard import GuiThreadCollector, freeze_startup_heap
from app.ui.icons import app_icon_path
from app.ui.recovery_dialog import check_and_recover
from app.ui.theme import apply_theme, follow_system

if TYPE_CHECKING:
    from app.ui.shell import Shell
    from app.ui.workers import BackgroundWorkers

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
    """Start-up order: logging, QApplication + crash hooks, single instance, DB health gate,
    profile and window, then the daily backup and retention jobs."""
    smoke = bool(getattr(args, "smoke_test", False))
    app = make_application()  # first: a data folder that cannot be used is shown in a dialog
    try:
        paths = resolve_paths(args.data_dir).ensure()
    except DataFolderError as exc:
        return _cannot_start(str(exc))
    setup_logging(paths, "INFO")  # the profile's own level once its settings are read (once)
    crash.install()
    try:
        app.setWindowIcon(QIcon(str(app_icon_path())))
    except PackageDataMissing as exc:  # the same broken install fails clearly at the migrations below
        log.warning("%s", exc)
    guard = SingleInstance(paths)
    if not smoke and not guard.acquire():
        print("wfh-agent: already running for this profile (its window, if it has one, was brought to the front)")
        return 0
    if not check_and_recover(paths):
        guard.release()
        return 1
    try:
        context = AppContext.open(args.data_dir)
    except WfhError as exc:
        guard.release()
        return _cannot_start(str(exc))
    set_level(context.profile.settings.text("general.log_level"))
    theme = context.profile.settings.text("general.theme")
    apply_theme(app, theme)
    follow_system(app, lambda: context.profile.settings.text("general.theme"))

    from app.ui.shell import Shell

    shell = Shell(context)
    window = shell.window
    watcher = TerminationWatcher(shell.quit)
    workers = None if smoke else shell.attach_workers(offline=bool(getattr(args, "offline", False)))
    app.aboutToQuit.connect(shell.stop_workers)  # before the database closes: the open span is written
    app.aboutToQuit.connect(context.close)
    if smoke:
        from app.ui.smoke import run_smoke_test

        code = run_smoke_test(shell)
        watcher.close()
        context.close()
        return code
    guard.activationRequested.connect(window.show_from_tray)
    jobs = _start_daily_jobs(context, shell)
    minimized = bool(getattr(args, "minimized", False)) or bool(context.profile.settings.get("general.start_minimized"))
    if minimized and shell.tray is not None:
        window.hide()
    elif minimized:
        window.showMinimized()
    else:
        window.show()
    for problem in context.profile.problems:
        shell.messages.warning(problem)
    QTimer.singleShot(0, shell.menu_bar.offer_timer_recovery)
    if workers is not None:
        # after the window is up: the consent dialog needs it; then (first run of an empty profile with a server
        # and key) the question whether to restore the weeks and tasks from the server
        QTimer.singleShot(0, partial(_start_workers, workers, shell))
    freeze_startup_heap()
    collector = GuiThreadCollector(app)
    collector.start()  # from now on cyclic garbage is freed on this thread only
    code = app.exec()
    collector.stop()
    for job in jobs:
        job.stop()
    watcher.close()
    guard.release()
    return int(code)


def _cannot_start(message: str) -> int:
    """One dialog and one stderr line, exit code 2 (as the CLI's expected failures)."""
    print(f"wfh-agent: {message}", file=sys.stderr)
    QMessageBox.critical(None, "WFH Agent cannot start", message)
    return 2


def _start_workers(workers: BackgroundWorkers, shell: Shell) -> None:
    workers.start()
    shell.offer_restore()


def _start_daily_jobs(context: AppContext, shell: Shell) -> list[DailyJob]:
    """The daily backup (keep N) and retention cleanup, each on its own thread and connection."""
    profile = context.profile
    backups = backup_scheduler(profile.paths.db_path, profile.paths.backups_dir,
                               keep=lambda: profile.settings.integer("backups.keep", minimum=1), parent=shell)
    cleanup = retention_scheduler(profile.db, profile.settings, profile.paths.data_dir, parent=shell)
    for job in (backups, cleanup):
        job.failed.connect(shell.messages.warning)  # emitted on the job's thread: a slot, never a lambda
        job.start()
    return [backups, cleanup]
