"""Active window: one backend module per OS, chosen once at import (``create(display=None)``).

``create()`` returns an object with ``active_window() -> ActiveWindow | None`` and ``close()``.
On Linux the X11 backend is used when an X display is reachable; Wayland-only sessions and
failures fall back to the ``unknown`` backend, which logs once and returns None.
"""

from __future__ import annotations

import sys

from app.monitor.window._base import ActiveWindow, WindowBackend

if sys.platform == "win32":
    from app.monitor.window._windows import create
elif sys.platform == "darwin":
    from app.monitor.window._macos import create
elif sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
    from app.monitor.window._x11 import create
else:
    from app.monitor.window._unknown import create

__all__ = ["ActiveWindow", "WindowBackend", "create"]
