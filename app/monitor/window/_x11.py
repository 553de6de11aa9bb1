"""X11 active window through python-xlib: ``_NET_ACTIVE_WINDOW``, ``_NET_WM_NAME``, ``_NET_WM_PID``.

Without a window manager (no ``_NET_ACTIVE_WINDOW``) the input focus is used and its parents are
walked up to the first window with a name. A lost connection is reopened on the next call.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from app.monitor.window._base import ActiveWindow
from app.monitor.window._unknown import UnknownWindowBackend

log = logging.getLogger(__name__)


class X11WindowBackend:
    """The X11 active window through python-xlib (``_NET_ACTIVE_WINDOW``, ``_NET_WM_NAME``, ``_NET_WM_PID``)."""

    name = "x11"
    description = "the X server (_NET_ACTIVE_WINDOW, change events)"

    def __init__(self, display_name: str | None = None) -> None:
        from Xlib import display as xdisplay

        self.display_name = display_name
        self._display: Any = xdisplay.Display(display_name)
        self._intern()

    def _intern(self) -> None:
        d = self._display
        self._root = d.screen().root
        self._net_active = d.intern_atom("_NET_ACTIVE_WINDOW")
        self._net_name = d.intern_atom("_NET_WM_NAME")
        self._net_pid = d.intern_atom("_NET_WM_PID")
        self._utf8 = d.intern_atom("UTF8_STRING")

    def _reconnect(self) -> None:
        from Xlib import display as xdisplay

        try:
            self._display.close()
        except Exception:  # noqa: BLE001 - the old connection is already broken
            pass
        self._display = xdisplay.Display(self.display_name)
        self._intern()

    def active_window(self) -> ActiveWindow | None:
        from Xlib import X, error

        try:
            return self._query(X)
        except (error.XError, error.ConnectionClosedError, OSError) as exc:
            log.debug("x11 active window query failed: %s", exc)
            if isinstance(exc, error.ConnectionClosedError | OSError):
                try:
                    self._reconnect()
                except (error.DisplayError, error.ConnectionClosedError, OSError) as again:
                    log.warning("x11 display %s not reachable: %s", self.display_name, again)
            return None

    def _query(self, X: Any) -> ActiveWindow | None:  # noqa: N803 - Xlib's module name
        prop = self._root.get_full_property(self._net_active, X.AnyPropertyType)
        window = None
        if prop is not None and len(prop.value) and int(prop.value[0]):
            window = self._display.create_resource_object("window", int(prop.value[0]))
        if window is None:
            focus = self._display.get_input_focus().focus
            if isinstance(focus, int) or focus in (X.NONE, X.PointerRoot):
                return None
            window = focus
        for _ in range(8):
            title = self._title(window, X)
            if title is not None:
                return self._describe(window, title, X)
            parent = window.query_tree().parent
            if not parent or parent.id in (0, self._root.id):
                break
            window = parent
        return self._describe(window, "", X)

    def _describe(self, window: Any, title: str, X: Any) -> ActiveWindow:  # noqa: N803
        """Windows of old toolkits (Xt, Motif) carry no ``_NET_WM_PID``: name the app by its WM_CLASS."""
        pid = self._pid(window, X)
        return ActiveWindow(pid=pid, title=title, process_name=None if pid else self._wm_class(window))

    @staticmethod
    def _wm_class(window: Any) -> str | None:
        try:
            found = window.get_wm_class()
        except Exception:  # noqa: BLE001 - a window that vanished between the two calls
            return None
        if not found:
            return None
        _instance, klass = found
        return str(klass).lower() or None

    def _title(self, window: Any, X: Any) -> str | None:  # noqa: N803
        from Xlib import Xatom

        prop = window.get_full_property(self._net_name, self._utf8)
        if prop is None or not prop.value:
            prop = window.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
        if prop is None or prop.value is None:
            return None
        value = prop.value
        if isinstance(value, bytes):
            if prop.property_type == Xatom.STRING:   # ICCCM: STRING is Latin-1
                return value.decode("latin-1")
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value.decode("latin-1")
        return str(value)

    def _pid(self, window: Any, X: Any) -> int | None:  # noqa: N803
        from Xlib import Xatom

        prop = window.get_full_property(self._net_pid, Xatom.CARDINAL)
        if prop is None or not len(prop.value):
            return None
        return int(prop.value[0])

    def watch_changes(self, on_change: Callable[[], None]) -> Callable[[], None] | None:
        """Call ``on_change`` (from a watcher thread) when the active window or its title changes.

        Returns a function that stops watching, or None when events are not available.
        """
        from Xlib import error

        from app.monitor.window._x11_watch import X11ChangeWatcher

        try:
            watcher = X11ChangeWatcher(self.display_name, on_change)
        except (error.DisplayError, error.ConnectionClosedError, error.XError, OSError) as exc:
            log.info("x11 change events unavailable: %s", exc)
            return None
        return watcher.close

    def close(self) -> None:
        try:
            self._display.close()
        except Exception:  # noqa: BLE001 - closing a dead connection
            pass


def create(display: str | None = None) -> X11WindowBackend | UnknownWindowBackend:
    name = display or os.environ.get("DISPLAY")
    if not name:
        reason = "Wayland session without X" if os.environ.get("WAYLAND_DISPLAY") else "no X display"
        return UnknownWindowBackend(reason)
    try:
        from Xlib import error

        try:
            return X11WindowBackend(name)
        except (error.DisplayError, error.ConnectionClosedError, OSError) as exc:
            return UnknownWindowBackend(f"X display {name} not reachable: {exc}")
    except ImportError:
        return UnknownWindowBackend("python-xlib not installed")
