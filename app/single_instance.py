"""One running app per profile: a second launch asks the first to show its window and exits.

Ownership is a ``QLockFile`` in the data dir: Qt writes the owner's PID, host and app name into
it and treats the lock as stale once that process is gone, so a crash (even SIGKILL) never
blocks the next start. Only the lock owner listens on ``paths.lock_name`` with a
``QLocalServer``; as the owner it first removes any socket file a crashed run left behind
(``QLocalServer.removeServer``) — safe, because nobody else can own the name at that moment.
A second launch fails to take the lock, connects, writes ``activate`` and exits.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.paths import AppPaths

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
LOCK_FILE = "instance.lock"
CONNECT_TIMEOUT_MS = 1000


def _lock_for(data_dir: Path) -> QLockFile:
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(data_dir / LOCK_FILE))
    lock.setStaleLockTime(0)  # decide staleness by the owner's PID only, never by age
    return lock


def hold_profile(paths: AppPaths) -> QLockFile | None:
    """Take the profile's instance lock for a process without a window (``monitor``); None when the
    desktop app or another monitor already owns the profile. The caller unlocks it when done."""
    lock = _lock_for(paths.data_dir)
    return lock if lock.tryLock(0) else None


def is_running(paths: AppPaths) -> bool:
    """True while another live process owns this profile (used by ``restore`` to refuse)."""
    lock = _lock_for(paths.data_dir)
    if lock.tryLock(0):
        lock.unlock()
        return False
    return True


def send_activate(name: str, timeout_ms: int = CONNECT_TIMEOUT_MS) -> bool:
    """Ask the instance listening on ``name`` to show itself; False when nobody answered."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(ACTIVATE)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return True


class SingleInstance(QObject):
    """Signals: ``activationRequested()`` — another launch of this profile wants the window shown.

    Usage (after the QApplication exists)::

        guard = SingleInstance(paths)
        if not guard.acquire():
            return 0            # the running instance was told to show itself
        guard.activationRequested.connect(window.bring_to_front)
    """

    activationRequested = Signal()

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = paths.lock_name
        self._lock = _lock_for(paths.data_dir)
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True when this process is now the profile's instance; False after notifying the owner."""
        if not self._lock.tryLock(0):
            if not send_activate(self.name):
                log.warning("another instance owns the profile but did not answer on %s", self.name)
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed run
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # Still the owner (the lock says so); only activation from a second launch is lost.
            log.warning("single instance: cannot listen on %s: %s", self.name, server.errorString())
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def release(self) -> None:
        """Stop listening and drop the lock (called at quit; a crash is handled by staleness)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()

    def _on_connection(self) -> None:
        # The sockets stay children of the server (freed with it): the message is one short line
        # from a client that disconnects right away, so there is nothing to clean up early.
        server = self._server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            socket.readyRead.connect(self._on_ready)
            if socket.bytesAvailable():
                self._read(socket)

    def _on_ready(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if ACTIVATE.strip() in data:
            log.info("another launch asked this instance to show itself")
            self.activationRequested.emit()
