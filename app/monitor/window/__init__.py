"""Active window: one backend per OS; on Linux/BSD chosen when monitoring starts, from the session.

``create(display=None)`` returns an object with ``active_window() -> ActiveWindow | None`` and ``close()``
(optionally ``watch_changes(on_change)``). On Linux ``app.monitor.session.detect`` picks sway's IPC on
sway, X11 on an X session, and otherwise the ``unknown`` backend, whose ``reason`` says plainly why titles
are missing and how to get them. An explicit ``display`` always means that X display.
"""

from __future__ import annotations

import sys

from app.monitor.window._base import ActiveWindow, WindowBackend

if sys.platform == "win32":
    from app.monitor.window._windows import create
elif sys.platform == "darwin":
    from app.monitor.window._macos import create
elif sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
    from app.monitor.window._linux import create
else:
    from app.monitor.window._unknown import create

__all__ = ["ActiveWindow", "WindowBackend", "create"]
