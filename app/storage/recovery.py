"""Start-up integrity check and recovery from backups.

At start, before the profile is opened, ``check_database`` runs ``PRAGMA quick_check`` on the
file. When it is damaged the user chooses (``app.ui.recovery_dialog``): restore the newest backup
that passes ``integrity_check``, start with an empty database, or quit. Either of the first two
moves the damaged file aside as ``wfh_agent.db.corrupt-<time>`` together with its ``-wal`` and
``-shm`` (renamed so SQLite would still pair them); nothing is ever deleted. Quitting leaves the
file exactly where it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.errors import StorageError
from app.storage.backup import BackupInfo, integrity_problems, list_backups
from app.storage.db import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Health:
    """Result of the start-up check. ``ok`` is also true for a database that does not exist yet."""

    ok: bool
    problem: str = ""


# Errors that say nothing about the file's contents: moving it aside would not help.
_NOT_DAMAGE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM,
               sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOMEM}


def check_database(db_path: Path, timeout: float = BUSY_TIMEOUT_MS / 1000) -> Health:
    """``PRAGMA quick_check`` through a plain connection (no pragmas that could write).

    Raises ``StorageError`` when the file is locked or cannot be opened at all (in use,
    permissions): that is not damage, and moving a healthy database aside would be wrong.
    """
    if not db_path.exists():
        return Health(True)
    if not db_path.is_file():
        return Health(False, f"{db_path} is not a file")
    try:
        conn = sqlite3.connect(db_path, timeout=timeout)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) in _NOT_DAMAGE:
            raise StorageError(f"{db_path}: {exc}. Close other programs using it and start again.") from exc
        return Health(False, str(exc))
    problems = [str(r[0]) for r in rows]
    if problems == ["ok"]:
        return Health(True)
    return Health(False, "; ".join(problems[:5]))


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S")


def move_aside(db_path: Path, label: str = "corrupt", now: datetime | None = None) -> Path:
    """Rename the database and its side files to ``<name>.<label>-<time>``; return the new path."""
    base = db_path.with_name(f"{db_path.name}.{label}-{_stamp(now)}")
    aside, counter = base, 1
    while aside.exists():
        counter += 1
        aside = base.with_name(f"{base.name}-{counter}")
    os.replace(db_path, aside)
    for suffix in SIDE_FILES:
        side = Path(str(db_path) + suffix)
        if side.exists():
            os.replace(side, Path(str(aside) + suffix))
    log.info("database moved aside: %s", aside)
    return aside


def newest_good_backup(backups_dir: Path) -> BackupInfo | None:
    """The newest backup that passes ``integrity_check`` (damaged ones are skipped, not touched)."""
    for info in list_backups(backups_dir):
        problem = integrity_problems(info.path)
        if problem is None:
            return info
        log.warning("backup %s is damaged, skipped: %s", info.path.name, problem)
    return None


def validate_backup(path: Path) -> None:
    """Raise ``StorageError`` unless ``path`` is an intact WFH Agent database."""
    problem = integrity_problems(path)
    if problem is not None:
        raise StorageError(f"{path} is not a usable backup: {problem}")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        has_schema = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
    finally:
        conn.close()
    if not has_schema:
        raise StorageError(f"{path} is an SQLite file but not a WFH Agent database")


def restore_file(backup: Path, db_path: Path, *, keep_current_as: str = "before-restore") -> Path | None:
    """Put ``backup`` in place of ``db_path``; return where the previous database was kept.

    The backup is validated first; the copy is written beside the target (0600), synced and
    renamed over it, so an interrupted restore leaves either the old file aside or the new one.
    The caller must make sure the app is not running (``app.single_instance.is_running``).
    """
    validate_backup(backup)
    kept = move_aside(db_path, keep_current_as) if db_path.exists() else None
    for suffix in SIDE_FILES:  # stale side files without their database would confuse SQLite
        side = Path(str(db_path) + suffix)
        if side.exists():
            os.replace(side, side.with_name(f"{side.name}.orphan-{_stamp(None)}"))
    partial = db_path.with_name(db_path.name + ".restoring")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, open(backup, "rb") as src:
        shutil.copyfileobj(src, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, db_path)
    os.chmod(db_path, 0o600)
    problem = check_database(db_path)
    if not problem.ok:  # pragma: no cover - the backup was validated a moment ago
        raise StorageError(f"the restored database failed its check: {problem.problem}")
    log.info("database restored from %s (previous kept as %s)", backup, kept)
    return kept


@dataclass(frozen=True)
class RecoveryResult:
    """Where the damaged file was moved and which backup was restored (None: the profile starts empty)."""

    aside: Path
    restored_from: Path | None


def recover_with_backup(db_path: Path, backups_dir: Path) -> RecoveryResult:
    """Move the damaged database aside and restore the newest good backup.

    Raises ``StorageError`` (without moving anything) when there is no good backup.
    """
    best = newest_good_backup(backups_dir)
    if best is None:
        raise StorageError("there is no intact backup to restore")
    aside = move_aside(db_path, "corrupt")
    restore_file(best.path, db_path)
    return RecoveryResult(aside, best.path)


def start_empty(db_path: Path) -> RecoveryResult:
    """Move the damaged database aside so the app creates a fresh one."""
    return RecoveryResult(move_aside(db_path, "corrupt"), None)
