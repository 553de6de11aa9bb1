"""``wfh-agent [--data-dir DIR] restore FILE``: replace the database with a backup.

Refused while another process holds the profile (the app or ``monitor``: their open
connections would keep writing to the replaced file); the profile's lock is held for the whole
restore. A folder that cannot be written is reported as that, not as a running app. The file is
validated first; the current database is kept aside as ``wfh_agent.db.before-restore-<time>``,
never deleted.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile

from app.errors import DataFolderError, WfhError
from app.paths import AppPaths, resolve_paths
from app.single_instance import LOCK_FILE
from app.storage.recovery import restore_file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("restore", help="replace the local database with a backup file")
    parser.add_argument("file", metavar="FILE", help="a backup, e.g. one in the profile's backups/ folder")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = resolve_paths(args.data_dir).ensure()
    source = Path(args.file).expanduser().resolve()
    lock = _take_profile(paths)
    try:
        kept = restore_file(source, paths.db_path)
    finally:
        lock.unlock()
    print(f"restored {paths.db_path} from {source}")
    if kept is not None:
        print(f"the previous database was kept as {kept}")
    return 0


def _take_profile(paths: AppPaths) -> QLockFile:
    """The profile's instance lock, or a message that says why not: held by a live process, or unwritable."""
    lock = QLockFile(str(paths.data_dir / LOCK_FILE))
    lock.setStaleLockTime(0)  # same rule as the app: stale only when its owner process is gone
    if lock.tryLock(0):
        return lock
    if lock.error() == QLockFile.LockError.LockFailedError:
        raise WfhError("another process holds this profile: WFH Agent is running on it (its window or "
                       "`wfh-agent monitor`); quit it first, then restore.")
    raise DataFolderError(f"cannot write here: the lock file in {paths.data_dir} cannot be created "
                          f"({lock.error().name}); nothing was restored")
