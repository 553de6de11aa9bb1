"""``wfh-agent [--data-dir DIR] restore FILE``: replace the database with a backup.

Refused while the app runs on this profile (its open connections would keep writing to the
replaced file). The file is validated first; the current database is kept aside as
``wfh_agent.db.before-restore-<time>``, never deleted.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.errors import WfhError
from app.paths import resolve_paths
from app.single_instance import is_running
from app.storage.recovery import restore_file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("restore", help="replace the local database with a backup file")
    parser.add_argument("file", metavar="FILE", help="a backup, e.g. one in the profile's backups/ folder")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = resolve_paths(args.data_dir).ensure()
    source = Path(args.file).expanduser().resolve()
    if is_running(paths):
        raise WfhError("WFH Agent is running on this profile; quit it first, then restore.")
    kept = restore_file(source, paths.db_path)
    print(f"restored {paths.db_path} from {source}")
    if kept is not None:
        print(f"the previous database was kept as {kept}")
    return 0
