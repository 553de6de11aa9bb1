"""Idle time and screen lock: one backend per OS; on Linux/BSD chosen when monitoring starts, from the session.

``create(display=None)`` returns an object with ``idle_seconds() -> float | None`` (seconds since
the last keyboard/mouse input), ``is_locked() -> bool | None`` (screen locked or screen saver
running; None when not detectable) and ``close()``. Every backend has a ``name`` (Diagnostics shows it).
"""

from __future__ import annotations

import sys

if sys.platform == "win32":
    from app.monitor.idle._windows import create
elif sys.platform == "darwin":
    from app.monitor.idle._macos import create
elif sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
    from app.monitor.idle._linux import create
else:
    from app.monitor.idle._unknown import create

__all__ = ["create"]
