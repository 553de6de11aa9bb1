"""Schema migrations: numbered SQL files applied in order, one transaction each.

``PRAGMA user_version`` always equals the number of the newest applied migration, and the
``schema_version`` table records each one (version, name, applied_at, checksum). A database
whose version is newer than the newest migration we ship is refused and left untouched.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.errors import MigrationError, SchemaTooNewError
from app.paths import PackageDataMissing, package_data_dir
from app.storage.db import translate_error

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_SCHEMA_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    checksum TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL migration file and its checksum."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def default_migrations_dir() -> Path:
    """The shipped ``app.migrations`` package (the repository's top-level ``migrations/``)."""
    try:
        return package_data_dir("migrations")
    except PackageDataMissing as exc:
        raise MigrationError(str(exc)) from exc


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Read ``NNNN_name.sql`` files; numbers must run 1, 2, 3 … without gaps.

    Finding none is an error: migrating with an empty list would leave a new database empty
    (schema version 0) and every screen would fail later with "no such table".
    """
    directory = directory or default_migrations_dir()
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    if not found:
        raise MigrationError(f"no schema migrations found in {directory}: this installation is incomplete, "
                             "reinstall WFH Agent")
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(f"migration {expected:04d} is missing (found {migration.version:04d})")
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers with inner ``;`` stay whole)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            stripped = buffer.strip()
            if stripped and not all(part.strip().startswith("--") for part in stripped.splitlines()):
                statements.append(stripped)
            buffer = ""
    if buffer.strip() and not all(p.strip().startswith("--") or not p.strip() for p in buffer.splitlines()):
        raise MigrationError(f"incomplete SQL statement at the end of the script: {buffer.strip()[:80]!r}")
    return statements


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_not_newer(conn: sqlite3.Connection, migrations: list[Migration]) -> int:
    """Return the DB's version; raise if it is newer than what this build ships."""
    version = current_version(conn)
    newest = migrations[-1].version if migrations else 0
    if version > newest:
        raise SchemaTooNewError(
            f"the database has schema version {version}, newer than this app supports ({newest}); "
            "it was left untouched. Update WFH Agent to open it."
        )
    return version


def pending_migrations(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    migrations = load_migrations() if migrations is None else migrations
    version = check_not_newer(conn, migrations)
    return [m for m in migrations if m.version > version]


def migrate(
    conn: sqlite3.Connection,
    migrations: list[Migration] | None = None,
    *,
    before_upgrade: Callable[[int, int], None] | None = None,
) -> int:
    """Apply every pending migration; return the resulting version.

    ``before_upgrade(from_version, to_version)`` runs once before the first pending migration
    of an existing database (the backup hook); it does not run for a brand-new file.
    """
    migrations = load_migrations() if migrations is None else migrations
    pending = pending_migrations(conn, migrations)
    if not pending:
        return current_version(conn)
    start = current_version(conn)
    if before_upgrade is not None and start > 0:
        before_upgrade(start, pending[-1].version)
    for migration in pending:
        _apply(conn, migration)
    return current_version(conn)


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    label = f"{migration.version:04d}_{migration.name}"
    statements = split_statements(migration.sql)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_SCHEMA_VERSION_DDL)
        for statement in statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)",
            (migration.version, migration.name, datetime.now(UTC).isoformat(timespec="seconds"),
             migration.checksum),
        )
        conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        cause = translate_error(exc)
        raise MigrationError(f"migration {label} failed and was rolled back: {cause}") from exc
    log.info("applied migration %s", label)


def verify_checksums(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Names of applied migrations whose file changed since they ran (released files must not change)."""
    migrations = load_migrations() if migrations is None else migrations
    by_version = {m.version: m for m in migrations}
    changed = []
    try:
        rows = conn.execute("SELECT version, checksum FROM schema_version").fetchall()
    except sqlite3.OperationalError:
        return []
    for version, checksum in rows:
        shipped = by_version.get(version)
        if shipped is not None and shipped.checksum != checksum:
            changed.append(f"{version:04d}_{shipped.name}")
    return changed
