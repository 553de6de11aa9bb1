"""SQLite connections: one per thread, same pragmas everywhere, explicit write transactions.

Connections run in autocommit mode (``isolation_level=None``) so that every transaction is
opened explicitly; writers use ``BEGIN IMMEDIATE`` so a second writer waits on the busy timeout
at the start of its transaction instead of failing half-way with SQLITE_BUSY.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.errors import BugError, DatabaseCorruptError, DatabaseLockedError, DiskFullError, StorageError, StorageIOError

BUSY_TIMEOUT_MS = 5000


def ensure_private_file(path: Path) -> None:
    """Create ``path`` with mode 0600 if it does not exist (SQLite gives WAL/SHM the same mode).

    An existing database is never opened here: closing any descriptor of a file drops all of this
    process's POSIX locks on it, SQLite's included, and another process could then take the WAL
    away from our open connections ("disk I/O error"). Only ``chmod`` (by path) touches it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:  # created between the check and the open: nothing to do
            pass
    try:
        if path.stat().st_mode & 0o777 != 0o600:
            os.chmod(path, 0o600)
    except OSError:  # pragma: no cover - e.g. a filesystem without permissions
        pass


def connect(path: Path | str, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a connection with the project's pragmas.

    ``read_only`` opens through a ``mode=ro`` URI, used for files we must never modify
    (legacy imports, backups being checked).
    """
    path = Path(path)
    try:
        if read_only:
            uri = path.resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            ensure_private_file(path)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        if not read_only:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{path}: could not switch to WAL journal (got {mode})")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-16000")
    except sqlite3.DatabaseError as exc:
        raise translate_error(exc, path) from exc
    return conn


_LOCKED = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_IO = {sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM,
       sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_PROTOCOL}


def translate_error(exc: sqlite3.Error, path: Path | str | None = None) -> StorageError | BugError:
    """Known failures (disk full, damaged file, locked, I/O) become ``StorageError`` subclasses with a message
    a user can act on; any other SQLite error is a bug in our SQL and becomes a ``BugError``."""
    where = f"{path}: " if path else ""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF  # extended codes (SQLITE_IOERR_WRITE, …) share the low byte
    text = str(exc)
    if primary == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return DiskFullError(f"{where}the disk is full; nothing was saved. Free some space and try again.")
    if primary in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT) or "not a database" in text or "malformed" in text:
        return DatabaseCorruptError(f"{where}the database file is damaged ({text}).")
    if primary in _LOCKED or "database is locked" in text:
        return DatabaseLockedError(f"{where}the database is locked by another program ({text}); try again.")
    if primary in _IO or "disk I/O error" in text or "unable to open database" in text or "readonly" in text:
        return StorageIOError(f"{where}the database file cannot be used ({text}).")
    return BugError(f"{where}{text}")


def _begin(conn: sqlite3.Connection, statement: str) -> None:
    try:
        conn.execute(statement)
    except sqlite3.Error as exc:
        raise translate_error(exc) from exc


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block inside ``BEGIN IMMEDIATE`` … ``COMMIT``; roll back on any exception."""
    _begin(conn, "BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise translate_error(exc) from exc
        raise
    else:
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise translate_error(exc) from exc


@contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: every query in the block sees the same state, even while others write."""
    _begin(conn, "BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


class ConnectionFactory:
    """Hands each thread its own connection to one database file, created on first use.

    SQLite connections must not be shared between threads that write concurrently; one
    connection per thread keeps every thread's transactions independent and avoids the cost
    of opening a connection per call (the seed's approach, ~60 µs each plus a cold page cache).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []

    def get(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close_thread(self) -> None:
        """Close the calling thread's connection (call at the end of a worker thread)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)
            conn.close()

    def close_all(self) -> None:
        """Close every connection handed out; used at shutdown after the workers stopped."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.ProgrammingError:  # pragma: no cover - closed from another thread
                pass
        self._local = threading.local()
