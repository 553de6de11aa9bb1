"""Is media playing? MPRIS players on the D-Bus session bus (``PlaybackStatus == "Playing"``).

Watching a video or listening to a talk produces no input, so it read as idle (ActivityWatch #261). The
sampler asks this only once the user is past the idle threshold; when a player is playing, the time
counts as active with the ``passive`` marker instead. jeepney is a small pure-Python D-Bus client
(already pulled in by keyring on Linux). Any bus error reads as "not playing": never a reason to stop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

MPRIS_PREFIX = "org.mpris.MediaPlayer2."
MPRIS_PATH = "/org/mpris/MediaPlayer2"
PLAYER_INTERFACE = "org.mpris.MediaPlayer2.Player"
CACHE_SECONDS = 2.0
CALL_TIMEOUT = 0.5


class MediaWatcher:
    """``playing()`` → the names of players playing now ([] when none, or no session bus)."""

    def __init__(self, *, connect: Callable[[], Any] | None = None, mono: Callable[[], float] = time.monotonic) -> None:
        self._connect = connect or _open_session_bus
        self._mono = mono
        self._conn: Any = None
        self._cached: tuple[float, list[str]] = (-1e9, [])
        self._failed_logged = False

    def playing(self) -> list[str]:
        stamp, names = self._cached
        if self._mono() - stamp < CACHE_SECONDS:
            return names
        try:
            names = self._query()
        except Exception as exc:  # noqa: BLE001 - no bus, a player that vanished: not playing
            if not self._failed_logged:
                log.info("media players cannot be asked (%s); media time counts as idle", exc)
                self._failed_logged = True
            self.close()
            names = []
        self._cached = (self._mono(), names)
        return names

    def _query(self) -> list[str]:
        from jeepney import DBusAddress, Properties, message_bus

        if self._conn is None:
            self._conn = self._connect()
        reply = self._conn.send_and_get_reply(message_bus.ListNames(), timeout=CALL_TIMEOUT)
        found = []
        for name in sorted(n for n in reply.body[0] if n.startswith(MPRIS_PREFIX)):
            player = DBusAddress(MPRIS_PATH, bus_name=name, interface=PLAYER_INTERFACE)
            try:
                status = self._conn.send_and_get_reply(Properties(player).get("PlaybackStatus"),
                                                       timeout=CALL_TIMEOUT)
            except (TimeoutError, OSError) as exc:
                log.debug("player %s did not answer: %s", name, exc)
                continue
            if status.header.message_type.name == "method_return" and status.body[0][1] == "Playing":
                found.append(name[len(MPRIS_PREFIX):])
        return found

    def close(self) -> None:
        close_connection(self._conn)
        self._conn = None


def close_connection(conn: Any) -> None:
    """Close a jeepney connection that may already be broken."""
    if conn is not None:
        try:
            conn.close()
        except OSError:
            pass


def _open_session_bus() -> Any:
    from jeepney.io.blocking import open_dbus_connection

    return open_dbus_connection(bus="SESSION")
