"""One running window per profile: a second start asks the first to show itself, then exits.

Two windows on one profile would each keep their own running timer and overwrite each other's
saved timer and layout. The name comes from ``AppPaths.lock_name`` (a hash of the data dir), so
different ``--data-dir`` profiles can run side by side. A socket left behind by a crash is
detected (nobody answers) and replaced.
Signals: activationRequested() — another start of the same profile wants the window shown.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 500


class SingleInstance(QObject):
    activationRequested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None

    def notify_running_instance(self) -> bool:
        """True when another instance answered (and was asked to show its window)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(b"show\n")
        socket.flush()
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        QLocalServer.removeServer(self.name)  # a stale socket from a crashed run
        self._server = QLocalServer(self)
        self._server.newConnection.connect(self._on_connection)
        return bool(self._server.listen(self.name))

    @Slot()
    def _on_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            # The other start writes its one short line right after connecting.
            arrived = socket.bytesAvailable() > 0 or socket.waitForReadyRead(CONNECT_TIMEOUT_MS)
            if arrived and bytes(socket.readAll().data()).strip().startswith(b"show"):
                self.activationRequested.emit()
            socket.disconnectFromServer()
            socket.deleteLater()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
