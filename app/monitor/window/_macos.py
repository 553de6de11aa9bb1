"""macOS active window: the frontmost application through AppKit (pyobjc) when it is installed.

Window titles need the Accessibility permission; without it (or without pyobjc) the title is
empty and, without pyobjc, the backend degrades to ``unknown``.
"""

from __future__ import annotations

from typing import Any

from app.monitor.window._base import ActiveWindow
from app.monitor.window._unknown import UnknownWindowBackend


class MacWindowBackend:
    """The frontmost macOS application through AppKit; titles only with the Accessibility permission."""

    name = "macos"

    def __init__(self, workspace: Any, quartz: Any | None) -> None:
        self._workspace = workspace
        self._quartz = quartz

    def active_window(self) -> ActiveWindow | None:
        app = self._workspace.sharedWorkspace().frontmostApplication()
        if app is None:
            return None
        pid = int(app.processIdentifier())
        title = ""
        if self._quartz is not None:
            q = self._quartz
            windows = q.CGWindowListCopyWindowInfo(
                q.kCGWindowListOptionOnScreenOnly | q.kCGWindowListExcludeDesktopElements, q.kCGNullWindowID)
            for info in windows or []:
                if int(info.get("kCGWindowOwnerPID", -1)) == pid and int(info.get("kCGWindowLayer", 1)) == 0:
                    title = str(info.get("kCGWindowName") or "")
                    break
        return ActiveWindow(pid=pid, title=title, process_name=str(app.localizedName() or ""))

    def close(self) -> None:
        return None


def create(display: str | None = None) -> MacWindowBackend | UnknownWindowBackend:
    try:
        from AppKit import NSWorkspace
    except ImportError:
        return UnknownWindowBackend("pyobjc (AppKit) not installed")
    try:
        import Quartz
    except ImportError:
        Quartz = None  # noqa: N806
    return MacWindowBackend(NSWorkspace, Quartz)
