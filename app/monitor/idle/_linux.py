"""Linux/BSD: the idle backend for the session the agent runs in (decided at call time, not import)."""

from __future__ import annotations

from typing import Any

from app.monitor import session as sessions
from app.monitor.idle import _x11
from app.monitor.idle._unknown import UnknownIdleBackend


def create(display: str | None = None) -> Any:
    if display is not None:
        return _x11.create(display)
    found = sessions.detect()
    if found.idle == "swayidle":
        from app.monitor.idle._swayidle import SwayIdleBackend

        try:
            return SwayIdleBackend()
        except OSError as exc:
            return UnknownIdleBackend(f"swayidle could not be started: {exc}")
    if found.idle == "dbus":
        from app.monitor.idle._dbus import DbusIdleBackend

        try:
            return DbusIdleBackend()
        except (OSError, ImportError, ValueError, KeyError) as exc:   # KeyError: no session bus address
            return UnknownIdleBackend(f"Idle time is not detected (no D-Bus idle service: {exc!s}); "
                                      "all time counts as active.")
    if found.idle == "x11":
        return _x11.create(found.display)
    return UnknownIdleBackend(found.idle_note)
