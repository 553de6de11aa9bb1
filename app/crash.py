"""Unhandled exceptions: log the traceback, tell the user, keep going; restart crashed workers.

The hooks only log and show; they never touch the database or files. Every write in the app
is already one transaction (storage/db.py), so an exception leaves either the old state or the
new one; writing "emergency" state from a hook, in an unknown state, is how half-written data
happens. Exceptions in worker threads reach the dialog through a queued Qt signal, because
widgets may only be touched on the GUI thread.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.logging_setup import redact
from app.version import __version__

log = logging.getLogger("app.crash")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def format_details(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
                   thread_name: str | None = None) -> str:
    """The text behind "Copy details": versions, thread and traceback, secrets redacted."""
    lines = [
        f"WFH Agent {__version__} on Python {platform.python_version()}, {platform.platform()}",
        f"thread: {thread_name or threading.current_thread().name}",
        "",
        "".join(traceback.format_exception(exc_type, exc, tb)).rstrip(),
    ]
    return redact("\n".join(lines))


class CrashDialog(QDialog):
    """Says what happened, offers the details and a button that copies them."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("WFH Agent: unexpected error")
        self.details = details
        label = QLabel(
            f"Something went wrong: <b>{summary}</b><br>Your data is safe: every change is saved in one "
            "step, so nothing was half-written. The details are in the log file; if it happens again, "
            "please send them to your administrator."
        )
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        text = QPlainTextEdit(details)
        text.setReadOnly(True)
        text.setMinimumHeight(180)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.resize(640, 360)

    def copy_details(self) -> None:
        clipboard = QApplication.clipboard()
        clipboard.setText(self.details)


class _Reporter(QObject):
    """Lives on the GUI thread; ``crashed(summary, details)`` may be emitted from any thread."""

    crashed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.showing = False
        self.shown = 0
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def _show(self, summary: str, details: str) -> None:
        if self.showing:  # one dialog at a time; the rest are in the log
            return
        self.showing = True
        try:
            self.shown += 1
            CrashDialog(summary, details, QApplication.activeWindow()).exec()
        finally:
            self.showing = False


_reporter: _Reporter | None = None


def report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
           thread_name: str | None = None) -> None:
    """Log the exception and, when a QApplication exists, show the dialog (on the GUI thread)."""
    details = format_details(exc_type, exc, tb, thread_name)
    log.critical("unhandled exception\n%s", details)
    reporter = _reporter
    app = QApplication.instance()
    if reporter is None or app is None:
        return
    summary = redact(f"{exc_type.__name__}: {exc}")[:300]
    if QThread.currentThread() is app.thread():
        reporter._show(summary, details)
    else:
        reporter.crashed.emit(summary, details)


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    try:
        report(exc_type, exc, tb)
    except Exception:  # noqa: BLE001 - the hook itself must never raise
        sys.__excepthook__(exc_type, exc, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else None
    try:
        report(args.exc_type, args.exc_value, args.exc_traceback, name)
    except Exception:  # noqa: BLE001
        threading.__excepthook__(args)


def install() -> None:
    """Install both hooks; call once after the QApplication exists (before it, only logging)."""
    global _reporter
    if QApplication.instance() is not None and _reporter is None:
        _reporter = _Reporter()
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def uninstall() -> None:
    global _reporter
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__
    _reporter = None


# ---- worker restarts -----------------------------------------------------------------------
def backoff_delay(failures: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds to wait after the ``failures``-th consecutive crash: 1, 2, 4 … capped."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * (2 ** (failures - 1))))


def restart_with_backoff(
    target: Callable[[], None],
    *,
    name: str,
    stop: threading.Event,
    base: float = 1.0,
    cap: float = 300.0,
    healthy_after: float = 600.0,
    on_crash: Callable[[int, BaseException], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> threading.Thread:
    """Run ``target`` in a daemon thread; when it raises, log it and run it again after a backoff.

    ``target`` returning normally ends the loop (it saw ``stop``). A run that lasted
    ``healthy_after`` seconds resets the backoff. Waiting uses ``stop.wait`` so ``stop.set()``
    ends the thread promptly. ``on_crash(failures, exc)`` is called after each crash (e.g. to
    update a status in the UI through a signal).
    """
    import time

    now = clock or time.monotonic

    def loop() -> None:
        failures = 0
        while not stop.is_set():
            started = now()
            try:
                target()
                return
            except Exception as exc:  # noqa: BLE001 - any crash is logged and the worker restarted
                failures = 1 if now() - started >= healthy_after else failures + 1
                delay = backoff_delay(failures, base, cap)
                log.error("worker %s crashed (%d in a row); restarting in %.0f s", name, failures, delay,
                          exc_info=True)
                if on_crash is not None:
                    on_crash(failures, exc)
                if stop.wait(delay):
                    return

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
