"""Numbered SQL migrations in ``ingestion/migrations`` (INGESTION_API.md §12.1).

Each file runs in its own transaction with ``search_path`` set to the target schema and is recorded
in ``schema_migrations`` with its SHA-256; an applied file whose checksum changed stops everything.
An advisory lock makes concurrent runs safe.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
ADVISORY_LOCK = 1464223821
_NAME = re.compile(r"(\d{4})_([A-Za-z0-9_]+)\.sql")


class MigrationError(RuntimeError):
    """An applied migration file changed (exit code 2)."""


@dataclass(frozen=True)
class Migration:
    """One numbered server SQL migration file and its checksum."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.fullmatch(path.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    return found


def _ensure_table(conn: psycopg.Connection[Any], schema: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL(
        "CREATE TABLE IF NOT EXISTS {}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
        " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    ).format(sql.Identifier(schema)))


def applied(conn: psycopg.Connection[Any], schema: str) -> dict[int, str]:
    exists = conn.execute("SELECT to_regclass(%s)", (f"{schema}.schema_migrations",)).fetchone()
    if exists is None or exists[0] is None:
        return {}
    rows = conn.execute(sql.SQL("SELECT version, checksum FROM {}.schema_migrations").format(
        sql.Identifier(schema))).fetchall()
    return {int(version): str(checksum) for version, checksum in rows}


def pending(conn: psycopg.Connection[Any], schema: str) -> list[Migration]:
    done = applied(conn, schema)
    for migration in available():
        if migration.version in done and done[migration.version] != migration.checksum:
            raise MigrationError(f"migration {migration.version:04d}_{migration.name} changed after it was applied")
    return [m for m in available() if m.version not in done]


def migrate(url: str, schema: str, until: int | None = None) -> list[Migration]:
    """Apply every pending migration (up to version ``until`` if given); return those applied."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK,))
        try:
            _ensure_table(conn, schema)
            todo = [m for m in pending(conn, schema) if until is None or m.version <= until]
            for migration in todo:
                with conn.transaction():
                    conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
                    conn.execute(migration.sql.encode("utf-8"))
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            return todo
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK,))
