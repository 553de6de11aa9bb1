"""GNOME and KDE Plasma on Wayland: the focused window through a small script the desktop runs for us.

Neither desktop lets one application read another's window on Wayland. Both run code they trust:
- **GNOME Shell**: the WFH Agent extension (``resources/desktop/gnome-shell``, installed by
  ``wfh-agent desktop-integration install``) exports ``org.wfhagent.WindowTracker.FocusedWindow()`` on
  the session bus; this backend asks it at each sample (one round trip, ≈ 1 ms).
- **KWin**: a KWin script (``resources/desktop/kwin``) that this backend loads through KWin's own
  ``org.kde.kwin.Scripting`` interface while monitoring runs; at every focus or title change the script
  calls ``org.wfhagent.KWinBridge.WindowActivated`` on a name this backend owns, so the backend only
  remembers the last report (exact boundaries, no polling).
Both speak JSON ``{"title", "app_id", "pid"}``; the window's process name comes from the pid, as on X11.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.monitor.idle._media import close_connection
from app.monitor.window._base import ActiveWindow

log = logging.getLogger(__name__)

CALL_TIMEOUT = 0.5
GNOME_TRACKER = ("org.wfhagent.WindowTracker", "/org/wfhagent/WindowTracker", "org.wfhagent.WindowTracker")
KWIN_BRIDGE = ("org.wfhagent.KWinBridge", "/org/wfhagent/KWinBridge", "org.wfhagent.KWinBridge")
KWIN_SCRIPTING = ("org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting")
KWIN_PLUGIN = "wfh-agent-window"
GNOME_EXTENSION_UUID = "wfh-agent@wfh-agent.local"
MAX_TITLE = 4096


def parse_report(text: str) -> ActiveWindow | None:
    """One JSON report from a desktop script; anything malformed reads as "no window" (never an error)."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    pid = data.get("pid")
    pid = pid if isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid < 2**31 else None
    return ActiveWindow(pid=pid, title=str(data.get("title") or "")[:MAX_TITLE])


def _session_bus() -> Any:
    from jeepney.io.blocking import open_dbus_connection

    return open_dbus_connection(bus="SESSION")


def name_has_owner(name: str, connect: Callable[[], Any] = _session_bus) -> bool:
    """Is ``name`` owned on the session bus? False when there is no bus at all."""
    from jeepney import message_bus

    try:
        conn = connect()
    except Exception as exc:  # noqa: BLE001 - no session bus: nothing is there
        log.debug("no session bus: %s", exc)
        return False
    try:
        reply = conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=CALL_TIMEOUT)
        return bool(reply.body and reply.body[0])
    except (OSError, TimeoutError, ValueError):
        return False
    finally:
        close_connection(conn)


class GnomeShellWindowBackend:
    """The focused window on GNOME Wayland, asked of the WFH Agent GNOME Shell extension each sample."""

    name = "gnome-shell"
    description = "the WFH Agent GNOME Shell extension (org.wfhagent.WindowTracker)"

    def __init__(self, connect: Callable[[], Any] = _session_bus) -> None:
        self._connect = connect
        self._conn: Any = connect()
        if self._ask() is False:
            self.close()
            raise OSError("the WFH Agent GNOME Shell extension does not answer on the session bus")

    def _ask(self) -> ActiveWindow | None | bool:
        """The report, None for "no focused window", False when the extension did not answer."""
        from jeepney import DBusAddress, MessageType, new_method_call

        if self._conn is None:
            self._conn = self._connect()
        name, path, interface = GNOME_TRACKER
        reply = self._conn.send_and_get_reply(
            new_method_call(DBusAddress(path, bus_name=name, interface=interface), "FocusedWindow"),
            timeout=CALL_TIMEOUT)
        if reply.header.message_type != MessageType.method_return or not reply.body:
            return False
        return parse_report(str(reply.body[0]))

    def active_window(self) -> ActiveWindow | None:
        try:
            found = self._ask()
        except (OSError, TimeoutError, ValueError) as exc:
            log.debug("GNOME Shell extension call failed: %s", exc)
            self.close()   # reconnect at the next sample
            return None
        return found if isinstance(found, ActiveWindow) else None

    def close(self) -> None:
        close_connection(self._conn)
        self._conn = None


class KWinWindowBackend:
    """The focused window on Plasma Wayland, pushed by the WFH Agent KWin script loaded at start."""

    name = "kwin"
    description = "the WFH Agent KWin script (window events)"

    def __init__(self, script: Path, connect: Callable[[], Any] = _session_bus) -> None:
        from jeepney import message_bus

        self._connect = connect
        self._current: ActiveWindow | None = None
        self._lock = threading.Lock()
        self._on_change: Callable[[], None] | None = None
        self._bridge = connect()
        owned = self._bridge.send_and_get_reply(message_bus.RequestName(KWIN_BRIDGE[0], 4), timeout=CALL_TIMEOUT)
        if not owned.body or owned.body[0] != 1:   # 1 = primary owner; 4 = DO_NOT_QUEUE
            close_connection(self._bridge)
            raise OSError(f"{KWIN_BRIDGE[0]} is taken on the session bus (another WFH Agent is monitoring)")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="kwin-bridge", daemon=True)
        self._thread.start()
        try:
            self._kwin("unloadScript", "s", (KWIN_PLUGIN,))   # a script left by a crashed agent
            loaded = self._kwin("loadScript", "ss", (str(script), KWIN_PLUGIN))
            if loaded is None or int(loaded[0]) < 0:
                raise OSError(f"KWin refused the script {script}")
            self._kwin("start")
        except (OSError, TimeoutError, ValueError):
            self.close()
            raise

    def _kwin(self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> Any:
        """One call to KWin's scripting interface on a connection of its own (the bridge's is busy reading)."""
        from jeepney import DBusAddress, MessageType, new_method_call

        name, path, interface = KWIN_SCRIPTING
        conn = self._connect()
        try:
            reply = conn.send_and_get_reply(
                new_method_call(DBusAddress(path, bus_name=name, interface=interface), method, signature, body),
                timeout=CALL_TIMEOUT * 4)
        finally:
            close_connection(conn)
        if reply.header.message_type != MessageType.method_return:
            raise OSError(f"KWin {method}: {reply.body}")
        return reply.body

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        while not self._stop.is_set():
            try:
                msg = self._bridge.receive()
            except (OSError, ValueError) as exc:
                if not self._stop.is_set():
                    log.info("KWin bridge stopped: %s (window titles unknown until monitoring restarts)", exc)
                return
            if msg.header.message_type != MessageType.method_call:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            if member == "WindowActivated" and msg.body and isinstance(msg.body[0], str):
                with self._lock:
                    self._current = parse_report(msg.body[0])
                    notify = self._on_change
                if notify is not None:
                    notify()   # before the reply: once KWin's call returns, the sampler has been woken
                self._reply(new_method_return(msg))
            else:
                self._reply(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no {member}",)))

    def _reply(self, message: Any) -> None:
        try:
            self._bridge.send(message)
        except OSError as exc:
            log.debug("KWin bridge reply failed: %s", exc)

    def active_window(self) -> ActiveWindow | None:
        with self._lock:
            return self._current

    def watch_changes(self, on_change: Callable[[], None]) -> Callable[[], None] | None:
        """The script pushes every change: wake the sampler at each, like sway's window events."""
        with self._lock:
            self._on_change = on_change

        def stop() -> None:
            with self._lock:
                self._on_change = None
        return stop

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            self._kwin("unloadScript", "s", (KWIN_PLUGIN,))
        except (OSError, TimeoutError, ValueError) as exc:
            log.debug("KWin unloadScript failed: %s", exc)
        try:
            self._bridge.sock.shutdown(2)   # wakes the blocking receive
        except OSError:
            pass
        self._thread.join(timeout=2)
        close_connection(self._bridge)
