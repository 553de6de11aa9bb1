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
    if found.window in (sessions.GNOME_SHELL, sessions.KWIN):
        return _desktop_bridge(found.window)
    return UnknownWindowBackend(found.window_note)


def _desktop_bridge(kind: str) -> Any:
    """GNOME Shell extension or KWin script; a bridge that fails to start says why, in the user's words."""
    from app.monitor.window import _desktop_bridge as bridge
    from app.paths import package_data_dir

    try:
        if kind == sessions.GNOME_SHELL:
            return bridge.GnomeShellWindowBackend()
        return bridge.KWinWindowBackend(package_data_dir("resources") / "desktop" / "kwin" / "main.js")
    except (OSError, TimeoutError, ValueError) as exc:
        return UnknownWindowBackend(f"Window titles are not available: the desktop integration did not start "
                                    f"({exc}). Run “wfh-agent desktop-integration status” for details.")
