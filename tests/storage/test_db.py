"""Connection factory, write transactions and disk-full handling on real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from app.errors import BugError, DatabaseLockedError, DiskFullError, StorageError, StorageIOError, WfhError
from app.profile import Profile
from app.services.cache import CacheService
from app.services.data_service import DataService
from app.storage.db import ConnectionFactory, connect, translate_error, write_transaction


def test_one_connection_per_thread(tmp_path: Path) -> None:
    factory = ConnectionFactory(tmp_path / "f.db")
    main = factory.get()
    assert factory.get() is main
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(factory.get()))
    thread.start()
    thread.join()
    assert seen[0] is not main
    factory.close_all()


def test_concurrent_writers_wait_instead_of_failing(profile: Profile) -> None:
    """Two threads writing at once: BEGIN IMMEDIATE + busy_timeout serialise them, nothing is lost."""
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        conn = profile.db.get()
        try:
            for i in range(200):
                with write_transaction(conn):
                    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (f"{tag}{i}", "x"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            profile.db.close_thread()

    threads = [threading.Thread(target=writer, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert profile.db.get().execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 400


def test_rollback_on_error_leaves_nothing(profile: Profile) -> None:
    conn = profile.db.get()
    with pytest.raises(RuntimeError), write_transaction(conn):
        conn.execute("INSERT INTO settings (key, value) VALUES ('half', 'written')")
        raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 0
    assert not conn.in_transaction


def test_a_bug_in_our_sql_is_a_bug_not_an_expected_failure(profile: Profile) -> None:
    """"no such column" is our mistake: it must not be shown as an everyday storage problem."""
    conn = profile.db.get()
    with pytest.raises(BugError, match="no such column") as raised, write_transaction(conn):
        conn.execute("UPDATE tasks_optimized SET no_such_column = 1")
    assert not isinstance(raised.value, WfhError)
    assert not conn.in_transaction


def test_a_locked_database_is_a_known_failure(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    other = connect(path)
    other.execute("PRAGMA busy_timeout = 10")
    try:
        with pytest.raises(DatabaseLockedError, match="locked by another program") as raised, \
                write_transaction(other):
            pass
        assert isinstance(raised.value, StorageError)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        other.close()


def test_io_failures_are_known_failures(tmp_path: Path) -> None:
    missing_dir = tmp_path / "gone" / "x.db"
    try:
        sqlite3.connect(f"file:{missing_dir}?mode=ro", uri=True).execute("SELECT 1")
    except sqlite3.Error as exc:
        error = translate_error(exc, missing_dir)
    assert isinstance(error, StorageIOError) and "cannot be used" in str(error)


def test_disk_full_is_a_clear_error_and_writes_nothing(profile: Profile, qapp: Any) -> None:
    service = DataService(profile.db, CacheService())
    week = service.create_week("Full disk")
    conn = profile.db.get()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the "disk" has no room for one more page
    big = "x" * 9000
    with pytest.raises(DiskFullError, match="disk is full"):
        service.create_tasks(week, [{"feedback": big} for _ in range(50)])
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert service.count_week_tasks(week) == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    service.create_task(week, {"feedback": "after space returned"})
    assert service.count_week_tasks(week) == 1


def test_other_process_closing_never_breaks_our_wal(tmp_path: Path) -> None:
    """Opening a second connection in this process must not drop this process's POSIX locks on the file
    (closing any descriptor of it would); else another process that closes its connection believes it is
    the last one, deletes the -wal/-shm files, and our connections fail with 'disk I/O error'."""
    import subprocess
    import sys

    path = tmp_path / "shared.db"
    factory = ConnectionFactory(path)
    first = factory.get()
    with write_transaction(first):
        first.execute("CREATE TABLE t (n INTEGER)")
        first.execute("INSERT INTO t VALUES (1)")
    other_thread: list[Any] = []
    thread = threading.Thread(target=lambda: other_thread.append(factory.get().execute("SELECT 1").fetchone()))
    thread.start()
    thread.join()
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT COUNT(*) FROM t').fetchone();"
            " c.close()")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    assert path.with_name("shared.db-wal").exists(), "the other process must not have removed our WAL"
    with write_transaction(first):
        first.execute("INSERT INTO t VALUES (2)")
    assert first.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2
    factory.close_all()
