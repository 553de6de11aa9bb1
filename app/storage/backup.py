"""Online backups of the profile database and their rotation (the daily schedule is ``app.ui.daily_jobs``).

Backups are taken with SQLite's backup API from a fresh connection in one step, i.e. inside a
single read transaction: in WAL mode the app keeps writing meanwhile and the copy is a
consistent snapshot. The live file is never copied byte for byte (seed 003's ``shutil.copy2``
of a WAL database can capture a half-checkpointed file). Each copy is written to a
``.partial`` file, switched to a self-contained rollback journal, checked with
``integrity_check``, made 0600 and only then renamed to ``wfh_agent-YYYYmmdd-HHMMSS.db``
(UTC, so names sort in time order across DST changes). The newest ``keep`` copies survive.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.errors import StorageError
from app.storage.db import BUSY_TIMEOUT_MS, translate_error

log = logging.getLogger(__name__)

DEFAULT_KEEP = 7
BACKUP_INTERVAL = timedelta(days=1)
_NAME = re.compile(r"^wfh_agent-(\d{8}-\d{6})(?:-(\d+))?\.db$")
_STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class BackupInfo:
    """One backup file found in the backups folder and when it was taken (from its name)."""

    path: Path
    taken_at: datetime  # UTC, from the file name
    serial: int = 1     # 2, 3 … for several backups within one second


# ---- pure helpers --------------------------------------------------------------------------
def backup_name(when: datetime, serial: int = 1) -> str:
    """``wfh_agent-YYYYmmdd-HHMMSS.db`` in UTC (``-N`` appended for a second copy in one second)."""
    stamp = when.astimezone(UTC).strftime(_STAMP)
    return f"wfh_agent-{stamp}.db" if serial <= 1 else f"wfh_agent-{stamp}-{serial}.db"


def parse_backup_name(name: str) -> tuple[datetime, int] | None:
    match = _NAME.match(name)
    if not match:
        return None
    when = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
    return when, int(match.group(2) or 1)


def newest_first(infos: Iterable[BackupInfo]) -> list[BackupInfo]:
    return sorted(infos, key=lambda b: (b.taken_at, b.serial), reverse=True)


def select_to_prune(infos: Sequence[BackupInfo], keep: int) -> list[BackupInfo]:
    """The backups beyond the newest ``keep`` (``keep`` < 1 is treated as 1: never delete them all)."""
    return newest_first(infos)[max(1, int(keep)):]


def is_backup_due(last: datetime | None, now: datetime, interval: timedelta = BACKUP_INTERVAL) -> bool:
    """A backup is due when there is none, the newest is ``interval`` old, or it lies more than
    ``interval`` in the future (the clock was wrong when it was taken, so its age means nothing)."""
    if last is None:
        return True
    age = now - last
    return age >= interval or age <= -interval


# ---- files ---------------------------------------------------------------------------------
def list_backups(backups_dir: Path) -> list[BackupInfo]:
    """Backups in ``backups_dir``, newest first (other files are ignored)."""
    if not backups_dir.is_dir():
        return []
    found = []
    for path in backups_dir.iterdir():
        parsed = parse_backup_name(path.name)
        if parsed is not None and path.is_file():
            found.append(BackupInfo(path, parsed[0], parsed[1]))
    return newest_first(found)


def integrity_problems(path: Path) -> str | None:
    """``None`` when ``PRAGMA integrity_check`` says ok, else what it (or opening the file) reported.

    Opened read-only through a URI, so checking never modifies the file.
    """
    if not path.is_file():
        return f"{path.name} does not exist"
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    problems = [str(r[0]) for r in rows]
    return None if problems == ["ok"] else "; ".join(problems[:5])


def _free_name(backups_dir: Path, now: datetime) -> Path:
    serial = 1
    while True:
        candidate = backups_dir / backup_name(now, serial)
        if not candidate.exists():
            return candidate
        serial += 1


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_backup(
    db_path: Path,
    backups_dir: Path,
    *,
    keep: int = DEFAULT_KEEP,
    now: datetime | None = None,
) -> Path:
    """Copy the live database into ``backups_dir`` while others may be writing; return the new file.

    Raises ``StorageError`` (nothing left behind but the previous backups) if the database is
    missing or the copy fails its integrity check.
    """
    if not db_path.is_file():
        raise StorageError(f"{db_path}: there is no database to back up yet")
    backups_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = now or datetime.now(UTC)
    target = _free_name(backups_dir, now)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    try:
        source = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)  # pages=-1: the whole DB in one step = one consistent snapshot
                dest.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
            finally:
                dest.close()
        finally:
            source.close()
        problem = integrity_problems(partial)
        if problem is not None:
            raise StorageError(f"the backup copy failed its integrity check: {problem}")
        os.chmod(partial, 0o600)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
        _fsync_dir(backups_dir)
    except sqlite3.Error as exc:
        raise translate_error(exc, db_path) from exc
    finally:
        partial.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
    log.info("backup written: %s", target)
    prune_backups(backups_dir, keep)
    return target


def prune_backups(backups_dir: Path, keep: int = DEFAULT_KEEP) -> list[Path]:
    """Delete the backups beyond the newest ``keep``; return what was deleted."""
    removed = []
    for info in select_to_prune(list_backups(backups_dir), keep):
        try:
            info.path.unlink()
            removed.append(info.path)
        except OSError as exc:
            log.warning("could not delete old backup %s: %s", info.path, exc)
    return removed


def pre_migration_backup(db_path: Path, from_version: int, to_version: int) -> None:
    """``Profile.open``'s default ``before_upgrade``: back up before changing the schema.

    A failed backup stops the upgrade (the exception propagates and the DB stays as it was):
    upgrading without a way back is worse than not starting.
    """
    path = create_backup(db_path, db_path.parent / "backups", keep=DEFAULT_KEEP)
    log.info("backup before upgrading schema %d -> %d: %s", from_version, to_version, path)
