"""sway (and other i3-IPC wlroots compositors): the focused window through the IPC socket in ``SWAYSOCK``.

``GET_TREE`` gives the focused node's title (``name``), ``app_id`` (or the X11 class under XWayland) and
pid; a second connection subscribed to ``window`` events wakes the sampler at every focus or title change,
so span boundaries are exact while the periodic interval stays long. The protocol is a 14-byte header
(``i3-ipc``, payload length, message type) and a JSON payload; no library needed.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

from app.monitor.window._base import ActiveWindow

log = logging.getLogger(__name__)

MAGIC = b"i3-ipc"
HEADER = struct.Struct("=6sII")
RUN_COMMAND, SUBSCRIBE, GET_TREE = 0, 2, 4
MAX_PAYLOAD = 64 * 1024 * 1024


class SwayIpcError(OSError):
    """The socket closed or answered something that is not the i3 IPC protocol."""


class SwayIpc:
    """One blocking IPC connection (not thread-safe: one per thread)."""

    def __init__(self, path: str, timeout: float | None = 2.0) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise

    def request(self, kind: int, payload: str = "") -> Any:
        data = payload.encode()
        self.sock.sendall(HEADER.pack(MAGIC, len(data), kind) + data)
        while True:
            reply_kind, body = self.receive()
            if not reply_kind & 0x80000000:  # events (high bit) may come first on a subscribed socket
                return body

    def receive(self) -> tuple[int, Any]:
        magic, length, kind = HEADER.unpack(self._exactly(HEADER.size))
        if magic != MAGIC or length > MAX_PAYLOAD:
            raise SwayIpcError("not an i3 IPC reply")
        return kind, json.loads(self._exactly(length) or b"null")

    def _exactly(self, count: int) -> bytes:
        chunks, left = [], count
        while left:
            chunk = self.sock.recv(left)
            if not chunk:
                raise SwayIpcError("sway closed the IPC connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.sock.close()


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in (*node.get("nodes", ()), *node.get("floating_nodes", ())):
        yield from _nodes(child)


def focused_window(tree: dict[str, Any]) -> ActiveWindow | None:
    """The focused view in a ``GET_TREE`` answer; None when the focus is on an empty workspace."""
    for node in _nodes(tree):
        if node.get("focused") and node.get("type") in ("con", "floating_con") and node.get("pid"):
            # Named by its executable through the pid, as on X11 ("foot", "firefox"), not by its app id.
            return ActiveWindow(pid=int(node["pid"]), title=str(node.get("name") or ""))
    return None


def idle_inhibitors(tree: dict[str, Any]) -> list[str]:
    """Visible views holding an idle inhibitor (a video player, ``inhibit_idle`` set by a rule): their titles.

    sway reports ``inhibit_idle`` true only while the inhibitor is in effect (e.g. the view is visible)."""
    return [str(node.get("app_id") or node.get("name") or "a window") for node in _nodes(tree)
            if node.get("inhibit_idle") and node.get("type") in ("con", "floating_con")]


class SwayWindowBackend:
    """The focused window on sway and other i3-IPC compositors, read from ``GET_TREE`` over ``SWAYSOCK``."""

    name = "sway"
    description = "sway's IPC (window events)"

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self._ipc: SwayIpc | None = SwayIpc(socket_path)
        self._inhibitors: list[str] = []

    def inhibitors(self) -> list[str]:
        """Views inhibiting idle in the tree read by the last ``active_window()`` (same tick, no extra call)."""
        return self._inhibitors

    def active_window(self) -> ActiveWindow | None:
        try:
            if self._ipc is None:
                self._ipc = SwayIpc(self.socket_path)
            tree = self._ipc.request(GET_TREE)
        except (OSError, ValueError) as exc:
            log.debug("sway get_tree failed: %s", exc)
            if self._ipc is not None:
                self._ipc.close()
            self._ipc = None   # reconnect at the next sample (sway restarted, socket moved)
            self._inhibitors = []
            return None
        self._inhibitors = idle_inhibitors(tree)
        return focused_window(tree)

    def watch_changes(self, on_change: Callable[[], None]) -> Callable[[], None] | None:
        try:
            watcher = SwayChangeWatcher(self.socket_path, on_change)
        except (OSError, ValueError) as exc:
            log.info("sway window events unavailable: %s", exc)
            return None
        return watcher.close

    def close(self) -> None:
        if self._ipc is not None:
            self._ipc.close()
            self._ipc = None


class SwayChangeWatcher:
    """Its own subscribed connection and daemon thread; calls ``on_change`` at every window event."""

    def __init__(self, socket_path: str, on_change: Callable[[], None]) -> None:
        self._ipc = SwayIpc(socket_path, timeout=None)
        answer = self._ipc.request(SUBSCRIBE, json.dumps(["window", "workspace"]))
        if not (isinstance(answer, dict) and answer.get("success")):
            self._ipc.close()
            raise SwayIpcError(f"sway refused the subscription: {answer}")
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sway-window-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._ipc.receive()
            except (OSError, ValueError) as exc:
                if not self._stop.is_set():
                    log.info("sway window watcher stopped: %s (periodic sampling continues)", exc)
                return
            self._on_change()

    def close(self) -> None:
        self._stop.set()
        try:
            self._ipc.sock.shutdown(socket.SHUT_RDWR)   # wakes the blocking receive
        except OSError:
            pass
        self._thread.join(timeout=2)
        self._ipc.close()


def create(socket_path: str) -> SwayWindowBackend:
    return SwayWindowBackend(socket_path)
