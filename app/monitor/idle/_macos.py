"""macOS idle time through CoreGraphics (ctypes): CGEventSourceSecondsSinceLastEventType."""

from __future__ import annotations

import ctypes
import ctypes.util

from app.monitor.idle._unknown import UnknownIdleBackend

K_CG_EVENT_SOURCE_STATE_HID = 1
K_CG_ANY_INPUT_EVENT_TYPE = 0xFFFFFFFF


class MacIdleBackend:
    """Idle seconds on macOS from CoreGraphics' seconds since the last input event."""

    name = "macos"

    def __init__(self) -> None:
        path = ctypes.util.find_library("CoreGraphics") or ctypes.util.find_library("ApplicationServices")
        if not path:
            raise OSError("CoreGraphics not found")
        self._cg = ctypes.CDLL(path)
        self._cg.CGEventSourceSecondsSinceLastEventType.restype = ctypes.c_double
        self._cg.CGEventSourceSecondsSinceLastEventType.argtypes = [ctypes.c_int, ctypes.c_uint32]

    def idle_seconds(self) -> float | None:
        return float(self._cg.CGEventSourceSecondsSinceLastEventType(
            K_CG_EVENT_SOURCE_STATE_HID, K_CG_ANY_INPUT_EVENT_TYPE))

    def is_locked(self) -> bool | None:
        return None

    def close(self) -> None:
        return None


def create(display: str | None = None) -> MacIdleBackend | UnknownIdleBackend:
    try:
        return MacIdleBackend()
    except OSError as exc:
        return UnknownIdleBackend(str(exc))
