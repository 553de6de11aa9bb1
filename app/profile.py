"""One opened profile: its paths, settings and database (migrated and ready)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Settings
from app.errors import DatabaseCorruptError, StorageError
from app.paths import AppPaths, resolve_paths
from app.storage import migrate as migrations
from app.storage.backup import pre_migration_backup
from app.storage.db import ConnectionFactory, translate_error

log = logging.getLogger(__name__)

# Called with (db_path, from_version, to_version) before an existing DB is upgraded.
BeforeUpgrade = Callable[[Path, int, int], None]


@dataclass
class Profile:
    """One open profile: its paths, settings and migrated database; opened and closed as one."""

    paths: AppPaths
    settings: Settings
    db: ConnectionFactory
    schema_version: int = 0
    problems: list[str] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        data_dir: str | Path | None = None,
        *,
        before_upgrade: BeforeUpgrade | None = None,
    ) -> Profile:
        """Open (creating if needed) the profile and bring its database to the current schema.

        ``before_upgrade`` defaults to ``pre_migration_backup`` (a copy in ``backups/`` first).
        Raises ``SchemaTooNewError`` for a DB from a newer app (untouched), ``DatabaseCorruptError``
        for a damaged file, ``MigrationError`` when a migration fails (DB left at its old version).
        """
        if before_upgrade is None:  # default: back up the DB before any schema change
            before_upgrade = pre_migration_backup
        paths = resolve_paths(data_dir).ensure()
        settings = Settings(paths)
        shipped = migrations.load_migrations()  # before any file exists: no migrations, no empty database
        factory = ConnectionFactory(paths.db_path)
        try:
            conn = factory.get()
            hook = None
            if before_upgrade is not None:
                def hook(old: int, new: int) -> None:
                    before_upgrade(paths.db_path, old, new)
            version = migrations.migrate(conn, shipped, before_upgrade=hook)
        except sqlite3.DatabaseError as exc:
            factory.close_all()
            raise translate_error(exc, paths.db_path) from exc
        except StorageError:
            factory.close_all()
            raise
        profile = cls(paths=paths, settings=settings, db=factory, schema_version=version)
        profile.problems.extend(settings.problems)
        changed = migrations.verify_checksums(conn, shipped)
        if changed:
            profile.problems.append(f"released migrations changed after they were applied: {', '.join(changed)}")
        return profile

    def quick_check(self) -> str:
        """``ok`` or the problems ``PRAGMA quick_check`` found."""
        try:
            rows = self.db.get().execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise DatabaseCorruptError(f"{self.paths.db_path}: {exc}") from exc
        problems = [str(r[0]) for r in rows]
        return "ok" if problems == ["ok"] else "; ".join(problems)

    def close(self) -> None:
        self.db.close_all()
