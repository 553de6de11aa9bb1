"""X11 change events: wake the sampler when the active window or its title changes.

Sampling every few seconds attributes up to one interval to the wrong window at every switch;
listening for ``PropertyNotify`` on the root (``_NET_ACTIVE_WINDOW``) and on the active window
(``_NET_WM_NAME``/``WM_NAME``) lets the loop take an extra sample right at the switch, so span
boundaries are exact while the periodic interval stays long and cheap. The watcher has its own
X connection (python-xlib connections are not thread-safe) and its own daemon thread.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.03


class X11ChangeWatcher:
    """Calls ``on_change`` (debounced) when the active X11 window or its title changes; own connection and thread."""

    def __init__(self, display_name: str | None, on_change: Callable[[], None]) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self._X = X
        self._display: Any = xdisplay.Display(display_name)
        self._root = self._display.screen().root
        self._net_active = self._display.intern_atom("_NET_ACTIVE_WINDOW")
        self._names = {self._display.intern_atom("_NET_WM_NAME"), self._display.intern_atom("WM_NAME")}
        self._on_change = on_change
        self._stop = threading.Event()
        self._watched: Any = None
        self._root.change_attributes(event_mask=X.PropertyChangeMask)
        self._follow_active()
        self._display.flush()
        self._thread = threading.Thread(target=self._loop, name="x11-window-watch", daemon=True)
        self._thread.start()

    def _follow_active(self) -> None:
        """Listen to property changes of the current active window (its title)."""
        X = self._X  # noqa: N806 - Xlib's module name
        prop = self._root.get_full_property(self._net_active, X.AnyPropertyType)
        if prop is None or not len(prop.value) or not int(prop.value[0]):
            return
        window = self._display.create_resource_object("window", int(prop.value[0]))
        if self._watched is not None and self._watched.id == window.id:
            return
        window.change_attributes(event_mask=X.PropertyChangeMask)
        self._watched = window

    def _loop(self) -> None:
        from Xlib import error

        fileno = self._display.fileno()
        while not self._stop.is_set():
            try:
                if not self._display.pending_events():
                    ready, _, _ = select.select([fileno], [], [], 0.5)
                    if not ready:
                        continue
                changed = False
                while True:
                    while self._display.pending_events():
                        event = self._display.next_event()
                        if event.type != self._X.PropertyNotify:
                            continue
                        if event.atom == self._net_active:
                            self._follow_active()
                            changed = True
                        elif event.atom in self._names:
                            changed = True
                    # Window managers change _NET_ACTIVE_WINDOW in bursts (None, then the new window):
                    # report once the burst is over, so the extra sample sees the final state.
                    ready, _, _ = select.select([fileno], [], [], COALESCE_SECONDS)
                    if not ready and not self._display.pending_events():
                        break
                if changed:
                    self._display.flush()
                    self._on_change()
            except (error.XError, error.ConnectionClosedError, OSError, ValueError) as exc:
                if not self._stop.is_set():
                    log.info("x11 window watcher stopped: %s (periodic sampling continues)", exc)
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        try:
            self._display.close()
        except Exception:  # noqa: BLE001 - closing a dead connection
            pass
