"""Windows idle time through ctypes: GetLastInputInfo against GetTickCount."""

from __future__ import annotations

import ctypes
from ctypes import wintypes
from typing import Any


class LASTINPUTINFO(ctypes.Structure):
    """The Win32 ``LASTINPUTINFO`` structure filled by ``GetLastInputInfo``."""

    _fields_ = [("cbSize", wintypes.UINT), ("dwTime", wintypes.DWORD)]


class WindowsIdleBackend:
    """Idle seconds on Windows: ``GetTickCount`` minus ``GetLastInputInfo`` (ctypes)."""

    name = "windows"

    def __init__(self) -> None:
        windll: Any = getattr(ctypes, "windll")  # noqa: B009 - absent off Windows
        self._user32 = windll.user32
        self._kernel32 = windll.kernel32
        self._kernel32.GetTickCount.restype = wintypes.DWORD

    def idle_seconds(self) -> float | None:
        info = LASTINPUTINFO()
        info.cbSize = ctypes.sizeof(LASTINPUTINFO)
        if not self._user32.GetLastInputInfo(ctypes.byref(info)):
            return None
        elapsed = (int(self._kernel32.GetTickCount()) - int(info.dwTime)) & 0xFFFFFFFF
        return elapsed / 1000.0

    def is_locked(self) -> bool | None:
        # The input desktop is not "Default" while the workstation is locked.
        desktop = self._user32.OpenInputDesktop(0, False, 0x0100)
        if not desktop:
            return True
        self._user32.CloseDesktop(desktop)
        return False

    def close(self) -> None:
        return None


def create(display: str | None = None) -> WindowsIdleBackend:
    return WindowsIdleBackend()
