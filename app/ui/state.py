"""Window layout that survives restarts: geometry, splitters, column widths, last week.

Kept in ``ui_state.json`` inside the profile's data dir (not QSettings, which is per user) so
two profiles opened with ``--data-dir`` never share or overwrite each other's layout. A saved
geometry is only restored inside the screen's available area (``restore_geometry``).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

STATE_FILE = "ui_state.json"


class UiState:
    """A small JSON document of layout values; unknown or broken content falls back to defaults."""

    def __init__(self, path: Path, values: dict[str, Any] | None = None) -> None:
        self.path = path
        self.values: dict[str, Any] = values or {}

    @classmethod
    def load(cls, data_dir: Path) -> UiState:
        path = Path(data_dir) / STATE_FILE
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(values, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            values = {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            values = {}
        return cls(path, values)

    def save(self) -> None:
        """Write atomically (tmp + replace) so a kill mid-write never leaves half a file."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.values, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("could not save window layout to %s: %s", self.path, exc)

    # ---- typed accessors -------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get_bytes(self, key: str) -> QByteArray | None:
        raw = self.values.get(key)
        if not isinstance(raw, str):
            return None
        try:
            return QByteArray(base64.b64decode(raw))
        except ValueError:
            return None

    def set_bytes(self, key: str, value: QByteArray) -> None:
        self.values[key] = base64.b64encode(bytes(value.data())).decode("ascii")

    def get_ints(self, key: str) -> list[int] | None:
        raw = self.values.get(key)
        if isinstance(raw, list) and raw and all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            return list(raw)
        return None


def fit_rect(saved: QRect, available: QRect, default: QSize) -> QRect:
    """Where a window saved at ``saved`` goes on a screen whose usable area is ``available``.

    When it fits it keeps its size and is only moved back inside; when it does not (saved at a
    larger scale factor or on a bigger monitor) it gets ``default`` (shrunk to the area), centred.
    """
    if saved.width() <= available.width() and saved.height() <= available.height():
        x = min(max(saved.left(), available.left()), available.right() - saved.width() + 1)
        y = min(max(saved.top(), available.top()), available.bottom() - saved.height() + 1)
        return QRect(x, y, saved.width(), saved.height())
    size = default.boundedTo(available.size())
    rect = QRect(0, 0, size.width(), size.height())
    rect.moveCenter(available.center())
    return rect


def restore_geometry(window: QWidget, saved: QByteArray | None, default: QSize) -> None:
    """``restoreGeometry`` (when there is a saved one), then keep the window inside the available
    geometry of its screen: now, and once more when it is first shown and its frame (title bar)
    is known. Qt refuses a geometry saved on a screen of another size or scale factor and leaves
    the default size, which may not fit either (1280×800 on a 1600×1000 screen at 150 %)."""
    if saved is not None and not window.restoreGeometry(saved):
        log.info("saved window geometry not usable on this screen: using the default size")
    fit_to_screen(window, default)
    window.installEventFilter(_FitWhenShown(window, default))


def fit_to_screen(window: QWidget, default: QSize) -> None:
    """Move (or resize to ``default``, centred) so the window's frame lies within its screen's available area."""
    if window.isMaximized() or window.isFullScreen():
        return  # the window manager sizes those to the screen
    frame, inner = window.frameGeometry(), window.geometry()
    screen = QGuiApplication.screenAt(frame.center()) or window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    available = screen.availableGeometry()
    extra = frame.size() - inner.size()  # the frame's width and height; zero before the first show
    fitted = fit_rect(frame, available, default.expandedTo(window.minimumSize()) + extra)
    if fitted == frame:
        return
    log.info("window frame %s does not fit the screen %s: using %s", frame.getRect(), available.getRect(),
             fitted.getRect())
    window.resize(fitted.size() - extra)  # never below the window's minimum size
    actual = fitted.size().expandedTo(window.size() + extra)
    # larger than the screen only if its minimum size is: then its title bar at least stays visible
    x = max(available.left(), min(fitted.left(), available.right() - actual.width() + 1))
    y = max(available.top(), min(fitted.top(), available.bottom() - actual.height() + 1))
    window.move(x, y)  # a top-level's move() places its frame


class _FitWhenShown(QObject):
    """Runs ``fit_to_screen`` once, right after the first show (then the frame's size is real)."""

    def __init__(self, window: QWidget, default: QSize) -> None:
        super().__init__(window)
        self._default = default

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            watched.removeEventFilter(self)
            default = self._default
            # the window is the timer's context: a window destroyed first cancels the call
            QTimer.singleShot(0, watched, lambda: fit_to_screen(watched, default))
            self.deleteLater()
        return False
