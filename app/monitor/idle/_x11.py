"""X11 idle time and screen saver state through the XScreenSaver extension (ctypes on libXss).

libX11 ends the process when a connection dies unless an I/O error exit handler is installed;
with libX11 ≥ 1.7 one is (``XSetIOErrorExitHandler``), the backend then reports None.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from typing import Any

from app.monitor.idle._unknown import UnknownIdleBackend

log = logging.getLogger(__name__)

SCREENSAVER_ON = 1


class XScreenSaverInfo(ctypes.Structure):
    """The ``XScreenSaverInfo`` structure libXss fills (idle milliseconds, screen saver state)."""

    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("eventMask", ctypes.c_ulong),
    ]


_IO_EXIT_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_dead_displays: set[int] = set()


def _on_io_error(display: int | None, _data: int | None) -> None:
    if display:
        _dead_displays.add(display)


_io_exit_callback = _IO_EXIT_HANDLER(_on_io_error)


def _load(name: str) -> Any:
    path = ctypes.util.find_library(name)
    if not path:
        raise OSError(f"lib{name} not found")
    return ctypes.CDLL(path)


class X11IdleBackend:
    """Idle seconds and screen saver state on X11 through the XScreenSaver extension (libXss over ctypes)."""

    name = "x11"
    description = "the X server (XScreenSaver extension)"

    def __init__(self, display_name: str) -> None:
        self._x11 = _load("X11")
        self._xss = _load("Xss")
        self._x11.XOpenDisplay.restype = ctypes.c_void_p
        self._x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self._x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self._x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._x11.XFree.argtypes = [ctypes.c_void_p]
        self._xss.XScreenSaverAllocInfo.restype = ctypes.POINTER(XScreenSaverInfo)
        self._xss.XScreenSaverQueryExtension.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
        self._xss.XScreenSaverQueryInfo.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(XScreenSaverInfo)]
        self._display = self._x11.XOpenDisplay(display_name.encode())
        if not self._display:
            raise OSError(f"cannot open X display {display_name}")
        if hasattr(self._x11, "XSetIOErrorExitHandler"):
            self._x11.XSetIOErrorExitHandler.argtypes = [ctypes.c_void_p, _IO_EXIT_HANDLER, ctypes.c_void_p]
            self._x11.XSetIOErrorExitHandler(self._display, _io_exit_callback, None)
        event, error = ctypes.c_int(), ctypes.c_int()
        if not self._xss.XScreenSaverQueryExtension(self._display, ctypes.byref(event), ctypes.byref(error)):
            self._x11.XCloseDisplay(self._display)
            raise OSError("the X server has no MIT-SCREEN-SAVER extension")
        self._root = self._x11.XDefaultRootWindow(self._display)
        self._info = self._xss.XScreenSaverAllocInfo()
        self._state = -1

    def _query(self) -> XScreenSaverInfo | None:
        if not self._display or self._display in _dead_displays:
            return None
        if not self._xss.XScreenSaverQueryInfo(self._display, self._root, self._info):
            return None
        info: XScreenSaverInfo = self._info.contents
        return info

    def idle_seconds(self) -> float | None:
        info = self._query()
        return None if info is None else info.idle / 1000.0

    def is_locked(self) -> bool | None:
        info = self._query()
        return None if info is None else info.state == SCREENSAVER_ON

    def close(self) -> None:
        if self._display and self._display not in _dead_displays:
            self._x11.XFree(self._info)
            self._x11.XCloseDisplay(self._display)
        self._display = None


def create(display: str | None = None) -> X11IdleBackend | UnknownIdleBackend:
    name = display or os.environ.get("DISPLAY")
    if not name:
        reason = "Wayland session without X" if os.environ.get("WAYLAND_DISPLAY") else "no X display"
        return UnknownIdleBackend(reason)
    try:
        return X11IdleBackend(name)
    except OSError as exc:
        return UnknownIdleBackend(str(exc))
