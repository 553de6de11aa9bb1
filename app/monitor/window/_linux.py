"""Linux/BSD: the window backend for the session the agent runs in (decided at call time, not import)."""

from __future__ import annotations

from typing import Any

from app.monitor import session as sessions
from app.monitor.window import _x11
from app.monitor.window._unknown import UnknownWindowBackend


def create(display: str | None = None) -> Any:
    if display is not None:
        return _x11.create(display)
    found = sessions.detect()
    if found.window == sessions.SWAY and found.swaysock:
        from app.monitor.window._sway import SwayWindowBackend

        try:
            return SwayWindowBackend(found.swaysock)
        except OSError as exc:
            return UnknownWindowBackend(f"Window titles are not available: sway's IPC socket {found.swaysock} "
                                        f"cannot be reached ({exc}).")
    if found.window == sessions.X11:
        return _x11.create(found.display)
    return UnknownWindowBackend(found.window_note)
