"""Migrations: fresh, upgrade, newer refused, failed migration rolled back, statement splitting."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.errors import MigrationError, SchemaTooNewError
from app.profile import Profile
from app.storage import migrate
from app.storage.db import connect


def _shipped() -> list[migrate.Migration]:
    return migrate.load_migrations()


def _version_of(name: str) -> int:
    """A shipped migration's number, looked up by name (numbers change when branches merge)."""
    return next(m.version for m in _shipped() if m.name == name)


def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    conn = connect(tmp_path / "fresh.db")
    version = migrate.migrate(conn)
    shipped = _shipped()
    assert version == shipped[-1].version == conn.execute("PRAGMA user_version").fetchone()[0]
    rows = conn.execute("SELECT version, name, checksum FROM schema_version ORDER BY version").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(m.version, m.name, m.checksum) for m in shipped]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"weeks", "tasks_optimized", "task_events", "week_statistics", "settings", "sync_log",
            "agent_metrics", "heartbeats", "screenshots", "sync_quarantine"} <= tables


def test_upgrade_keeps_data_and_runs_backup_hook_once(tmp_path: Path) -> None:
    shipped = _shipped()
    conn = connect(tmp_path / "old.db")
    migrate.migrate(conn, shipped[:1])
    conn.execute("INSERT INTO weeks (week_label) VALUES ('kept')")
    calls: list[tuple[int, int]] = []
    version = migrate.migrate(conn, shipped, before_upgrade=lambda a, b: calls.append((a, b)))
    assert version == shipped[-1].version
    assert calls == [(1, shipped[-1].version)]
    assert conn.execute("SELECT week_label FROM weeks").fetchone()[0] == "kept"
    assert migrate.migrate(conn, shipped, before_upgrade=lambda a, b: calls.append((a, b))) == version
    assert len(calls) == 1, "nothing pending: no second backup"


def test_newer_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "wfh_agent.db"
    conn = connect(path)
    migrate.migrate(conn)
    conn.execute("PRAGMA user_version = 999")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError, match="schema version 999, newer than this app supports"):
        Profile.open(tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_failed_migration_rolls_back_to_previous_version(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(migrate.default_migrations_dir(), folder)
    n = len(_shipped()) + 1
    (folder / f"{n:04d}_broken.sql").write_text(
        "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n", encoding="utf-8"
    )
    conn = connect(tmp_path / "db.sqlite")
    migrate.migrate(conn, migrate.load_migrations(folder)[:-1])
    with pytest.raises(MigrationError, match=f"{n:04d}_broken failed and was rolled back"):
        migrate.migrate(conn, migrate.load_migrations(folder))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == n - 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == n - 1


def test_gap_in_numbering_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (id INTEGER);")
    (tmp_path / "0003_c.sql").write_text("CREATE TABLE c (id INTEGER);")
    with pytest.raises(MigrationError, match="0002 is missing"):
        migrate.load_migrations(tmp_path)


def test_split_statements_keeps_triggers_whole() -> None:
    sql = """-- comment
CREATE TABLE t (id INTEGER, n INTEGER);
CREATE TRIGGER trg AFTER INSERT ON t BEGIN
    UPDATE t SET n = 1 WHERE id = new.id;
END;
-- trailing comment
"""
    statements = migrate.split_statements(sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_changed_released_migration_is_reported(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite")
    migrate.migrate(conn)
    conn.execute("UPDATE schema_version SET checksum = 'x' WHERE version = 1")
    assert migrate.verify_checksums(conn) == ["0001_core"]


def test_covering_index_serves_week_aggregation(profile: Profile) -> None:
    from app.storage.repositories import WEEK_AGGREGATE_SQL

    plan = " ".join(str(r[3]) for r in profile.db.get().execute("EXPLAIN QUERY PLAN " + WEEK_AGGREGATE_SQL, (1,)))
    assert "USING COVERING INDEX idx_tasks_week_aggregate" in plan


def test_week_page_query_needs_no_sort(profile: Profile) -> None:
    sql = ("SELECT id FROM tasks_optimized WHERE week_id = ? AND deleted_at IS NULL "
           "ORDER BY created_at DESC, id DESC LIMIT 50")
    plan = " ".join(str(r[3]) for r in profile.db.get().execute("EXPLAIN QUERY PLAN " + sql, (1,)))
    assert "idx_tasks_week_created" in plan and "TEMP B-TREE" not in plan


def test_corrupt_file_gives_clear_error(tmp_path: Path) -> None:
    from app.errors import DatabaseCorruptError

    (tmp_path / "wfh_agent.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseCorruptError, match="damaged"):
        Profile.open(tmp_path)


def test_connection_pragmas_and_private_file(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    conn = connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert path.stat().st_mode & 0o777 == 0o600
    assert isinstance(conn, sqlite3.Connection)


def test_no_migrations_found_is_an_error_not_an_empty_database(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="no schema migrations found"):
        migrate.load_migrations(tmp_path)


def test_profile_without_packaged_migrations_refuses_and_creates_no_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wheel that lacks app.migrations once created an empty database at schema version 0."""
    import app.paths

    real = app.paths.package_data_dir

    def missing(name: str) -> Path:
        if name == "migrations":
            raise app.paths.PackageDataMissing("this installation of WFH Agent has no app.migrations")
        return real(name)

    monkeypatch.setattr(migrate, "package_data_dir", missing)
    with pytest.raises(MigrationError, match="has no app.migrations"):
        Profile.open(tmp_path / "profile")
    assert not (tmp_path / "profile" / "wfh_agent.db").exists()


def test_shipped_data_is_read_from_the_package() -> None:
    import app.migrations
    import app.resources

    from app.paths import package_data_dir

    assert package_data_dir("migrations") == Path(app.migrations.__file__).parent
    assert (package_data_dir("resources") / "icons" / "app" / "wfh-agent-256.png").is_file()
    assert [m.name for m in _shipped()] == [p.stem[5:] for p in sorted(package_data_dir("migrations").glob("*.sql"))]


def test_week_start_date_backfilled_from_iso_labels(tmp_path: Path) -> None:
    """Migration 0004 dates existing ISO weeks by their Monday and leaves other labels undated."""
    import datetime as dt

    shipped = _shipped()
    before = [m for m in shipped if m.version < 4]
    conn = connect(tmp_path / "old.db")
    migrate.migrate(conn, before)
    labels = [f"{year}-W{week:02d}" for year in (2020, 2021, 2026, 2027) for week in (1, 2, 27, 52)]
    labels += ["2020-W53", "2026-w48", "Imported 2025", "2026-W4x"]
    conn.executemany("INSERT INTO weeks (week_label) VALUES (?)", [(label,) for label in labels])
    migrate.migrate(conn, [m for m in shipped if m.version <= _version_of("week_start_date")])
    dated = dict(conn.execute("SELECT week_label, start_date FROM weeks").fetchall())
    for label in labels[:-2]:
        year, week = int(label[:4]), int(label[6:8])
        assert dated[label] == dt.date.fromisocalendar(year, week, 1).isoformat(), label
    assert dated["Imported 2025"] is None
    assert dated["2026-W4x"] is None


def test_week_labels_become_unique_ignoring_case_without_losing_tasks(tmp_path: Path) -> None:
    """The NOCASE migration renames later case-duplicates "… (2)", uppercases ISO labels, keeps every task."""
    shipped = _shipped()
    nocase = _version_of("week_labels_nocase")
    conn = connect(tmp_path / "old.db")
    migrate.migrate(conn, [m for m in shipped if m.version < nocase])
    labels = ["2026-W48", "2026-w48", "Sprint", "SPRINT", "sprint", "Sprint (2)", "2025-w10", "Notes"]
    for label in labels:
        week_id = conn.execute("INSERT INTO weeks (week_label) VALUES (?)", (label,)).lastrowid
        conn.execute("INSERT INTO tasks_optimized (week_id, project_name) VALUES (?, ?)", (week_id, label))
    conn.commit()
    migrate.migrate(conn, shipped)
    rows = conn.execute("SELECT w.week_label, t.project_name FROM weeks w JOIN tasks_optimized t ON t.week_id = w.id "
                        "ORDER BY w.id").fetchall()
    assert [r[1] for r in rows] == labels  # every task still with its own week
    assert [r[0] for r in rows] == ["2026-W48", "2026-w48 (2)", "Sprint", "SPRINT #4", "sprint (3)",
                                    "Sprint (2)", "2025-W10", "Notes"]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO weeks (week_label) VALUES ('notes')")
    assert conn.execute("SELECT value FROM data_generation").fetchone()[0] == 0
