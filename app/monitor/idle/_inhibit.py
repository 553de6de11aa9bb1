"""Who holds an idle inhibitor? The desktop's inhibitor registries over D-Bus.

A video player, a presentation or a call asks the desktop not to blank the screen ("idle inhibitor").
No input arrives meanwhile, yet the person is watching: like media playing (``_media.py``), that time
counts as active with the ``passive`` marker instead of idle. The registries asked, each optional:

- GNOME (and Cinnamon, Budgie): ``org.gnome.SessionManager.IsInhibited(8)`` (8 = idle), and
  ``GetInhibitors`` + ``Inhibitor.GetAppId`` for the names;
- KDE, Xfce and others implementing ``org.freedesktop.PowerManagement.Inhibit``: ``HasInhibit()``;
- systemd-logind on the system bus: ``ListInhibitors()`` entries whose ``what`` includes ``idle``,
  held by this user in ``block`` mode (``systemd-inhibit --what=idle …``).

sway keeps its own per-window inhibitors (``inhibit_idle`` in ``GET_TREE``): the sway window backend
reads those. Any bus error reads as "no inhibitor": never a reason to stop monitoring.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from app.monitor.idle._media import close_connection

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
CALL_TIMEOUT = 0.5
GNOME_IDLE_FLAG = 8

GNOME = ("org.gnome.SessionManager", "/org/gnome/SessionManager", "org.gnome.SessionManager")
POWER = ("org.freedesktop.PowerManagement", "/org/freedesktop/PowerManagement/Inhibit",
         "org.freedesktop.PowerManagement.Inhibit")
LOGIND = ("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager")


class InhibitWatcher:
    """``holders()`` → names of what inhibits idle now ([] when nothing does, or no bus answers)."""

    def __init__(self, *, session: Callable[[], Any] | None = None, system: Callable[[], Any] | None = None,
                 mono: Callable[[], float] = time.monotonic, uid: int | None = None) -> None:
        self._open = {"session": session or _bus_opener("SESSION"), "system": system or _bus_opener("SYSTEM")}
        self._conns: dict[str, Any] = {}
        self._dead: set[str] = set()
        self._mono = mono
        self._uid = os.getuid() if uid is None and hasattr(os, "getuid") else (uid or 0)
        self._cached: tuple[float, list[str]] = (-1e9, [])

    def holders(self) -> list[str]:
        stamp, names = self._cached
        if self._mono() - stamp < CACHE_SECONDS:
            return names
        names = []
        for ask in (self._gnome, self._power, self._logind):
            try:
                names += ask()
            except Exception as exc:  # noqa: BLE001 - a registry that is absent or broken: nothing held there
                log.debug("idle inhibitor registry not readable: %s", exc)
        self._cached = (self._mono(), names)
        return names

    def _call(self, bus: str, target: tuple[str, str, str], method: str, signature: str | None = None,
              body: tuple[Any, ...] = (), path: str | None = None, interface: str | None = None) -> Any:
        """One method call; None when the service is not on the bus (a normal absence, not an error)."""
        from jeepney import DBusAddress, new_method_call

        conn = self._conn(bus)
        if conn is None:
            return None
        address = DBusAddress(path or target[1], bus_name=target[0], interface=interface or target[2])
        reply = conn.send_and_get_reply(new_method_call(address, method, signature, body), timeout=CALL_TIMEOUT)
        if reply.header.message_type.name != "method_return":
            return None
        return reply.body

    def _conn(self, bus: str) -> Any:
        if bus in self._dead:
            return None
        if bus not in self._conns:
            try:
                self._conns[bus] = self._open[bus]()
            except Exception as exc:  # noqa: BLE001 - no such bus here (containers, no logind)
                log.info("no %s bus for idle inhibitors (%s)", bus, exc)
                self._dead.add(bus)
                return None
        return self._conns[bus]

    def _gnome(self) -> list[str]:
        answer = self._call("session", GNOME, "IsInhibited", "u", (GNOME_IDLE_FLAG,))
        if not answer or not answer[0]:
            return []
        names = []
        paths = self._call("session", GNOME, "GetInhibitors") or [[]]
        for path in paths[0]:
            app = self._call("session", GNOME, "GetAppId", path=path, interface="org.gnome.SessionManager.Inhibitor")
            if app and app[0]:
                names.append(str(app[0]))
        return names or ["an application (GNOME)"]

    def _power(self) -> list[str]:
        answer = self._call("session", POWER, "HasInhibit")
        return ["an application (power management)"] if answer and answer[0] else []

    def _logind(self) -> list[str]:
        answer = self._call("system", LOGIND, "ListInhibitors")
        if not answer:
            return []
        return [str(who) for what, who, _why, mode, uid, _pid in answer[0]
                if "idle" in str(what).split(":") and mode == "block" and int(uid) == self._uid]

    def close(self) -> None:
        for conn in self._conns.values():
            close_connection(conn)
        self._conns.clear()
        self._cached = (-1e9, [])


def _bus_opener(bus: str) -> Callable[[], Any]:
    def open_bus() -> Any:
        from jeepney.io.blocking import open_dbus_connection

        return open_dbus_connection(bus=bus)

    return open_bus
