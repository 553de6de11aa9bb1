"""``wfh-agent [--data-dir DIR] backup``: take an online backup now and print its path."""

from __future__ import annotations

import argparse
from typing import Any

from app.config import Settings
from app.paths import resolve_paths
from app.storage.backup import DEFAULT_KEEP, create_backup


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backup", help="back up the local database (safe while the app runs) and print the file's path"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = resolve_paths(args.data_dir).ensure()  # a read-only folder: one line, not a traceback
    keep = Settings(paths).get("backups.keep", DEFAULT_KEEP)
    path = create_backup(paths.db_path, paths.backups_dir, keep=int(keep or DEFAULT_KEEP))
    print(path)
    return 0
