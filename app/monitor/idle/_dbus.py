"""Idle time on GNOME and KDE Wayland sessions, through their own D-Bus services.

There is no X server to ask there. GNOME Shell exposes ``org.gnome.Mutter.IdleMonitor.GetIdletime``
(milliseconds) and ``org.gnome.ScreenSaver.GetActive``; KDE Plasma implements the freedesktop
``org.freedesktop.ScreenSaver`` interface (``GetSessionIdleTime`` in seconds, ``GetActive``). The backend
probes them once at start; a failed call later reads as "not known" for that sample.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.monitor.idle._media import close_connection

log = logging.getLogger(__name__)

CALL_TIMEOUT = 0.5
# (name, bus name, object path, interface, idle method, factor to seconds, lock bus name, lock path, lock iface)
METHODS = (
    ("GNOME Shell (org.gnome.Mutter.IdleMonitor)", "org.gnome.Mutter.IdleMonitor",
     "/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor", "GetIdletime", 0.001,
     "org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
    ("the freedesktop screen saver service (KDE Plasma)", "org.freedesktop.ScreenSaver",
     "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "GetSessionIdleTime", 1.0,
     "org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
)


class DbusIdleBackend:
    """Idle seconds from GNOME Mutter's or KDE's D-Bus idle service (Wayland sessions with no X server to ask)."""

    name = "dbus"

    def __init__(self, connect: Callable[[], Any] | None = None) -> None:
        from jeepney.io.blocking import open_dbus_connection

        self._conn = (connect or (lambda: open_dbus_connection(bus="SESSION")))()
        for method in METHODS:
            self._method = method
            if self._call(method[1], method[2], method[3], method[4]) is not None:
                self.description = method[0]
                return
        self.close()
        raise OSError("neither GNOME's IdleMonitor nor org.freedesktop.ScreenSaver answers on the session bus")

    def _call(self, bus: str, path: str, interface: str, member: str) -> Any:
        from jeepney import DBusAddress, MessageType, new_method_call

        if self._conn is None:
            return None
        try:
            reply = self._conn.send_and_get_reply(
                new_method_call(DBusAddress(path, bus_name=bus, interface=interface), member), timeout=CALL_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            log.debug("%s.%s failed: %s", interface, member, exc)
            return None
        if reply.header.message_type != MessageType.method_return or not reply.body:
            return None
        return reply.body[0]

    def idle_seconds(self) -> float | None:
        _, bus, path, iface, member, factor = self._method[:6]
        value = self._call(bus, path, iface, member)
        return None if value is None else float(value) * factor

    def is_locked(self) -> bool | None:
        bus, path, iface = self._method[6:]
        value = self._call(bus, path, iface, "GetActive")
        return None if value is None else bool(value)

    def close(self) -> None:
        close_connection(self._conn)
        self._conn = None
