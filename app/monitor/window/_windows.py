"""Windows active window through ctypes: GetForegroundWindow, GetWindowTextW, GetWindowThreadProcessId."""

from __future__ import annotations

import ctypes
from ctypes import wintypes
from typing import Any

from app.monitor.window._base import ActiveWindow


class WindowsWindowBackend:
    """The Windows foreground window: title and process through ctypes (``GetForegroundWindow`` …)."""

    name = "windows"

    def __init__(self) -> None:
        self._user32: Any = getattr(ctypes, "windll").user32  # noqa: B009 - absent off Windows
        self._user32.GetForegroundWindow.restype = wintypes.HWND
        self._user32.GetWindowTextLengthW.argtypes = [wintypes.HWND]
        self._user32.GetWindowTextW.argtypes = [wintypes.HWND, wintypes.LPWSTR, ctypes.c_int]
        self._user32.GetWindowThreadProcessId.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.DWORD)]

    def active_window(self) -> ActiveWindow | None:
        hwnd = self._user32.GetForegroundWindow()
        if not hwnd:
            return None
        length = min(int(self._user32.GetWindowTextLengthW(hwnd)), 65_535)
        buffer = ctypes.create_unicode_buffer(length + 1)
        self._user32.GetWindowTextW(hwnd, buffer, length + 1)
        pid = wintypes.DWORD(0)
        self._user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
        return ActiveWindow(pid=int(pid.value) or None, title=buffer.value)

    def close(self) -> None:
        return None


def create(display: str | None = None) -> WindowsWindowBackend:
    return WindowsWindowBackend()
