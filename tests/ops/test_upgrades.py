"""A database created at every earlier migration upgrades cleanly, with a backup taken first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.profile import Profile
from app.storage.backup import list_backups
from app.storage.db import connect
from app.storage.migrate import load_migrations, migrate

MIGRATIONS = load_migrations()


@pytest.mark.parametrize("k", range(1, len(MIGRATIONS)), ids=lambda k: f"from-{k:04d}")
def test_upgrade_from_every_earlier_version(data_dir: Path, k: int) -> None:
    conn = connect(data_dir / "wfh_agent.db")
    assert migrate(conn, MIGRATIONS[:k]) == k
    conn.execute("INSERT INTO weeks (week_label) VALUES ('before upgrade')")
    conn.close()

    profile = Profile.open(data_dir)
    try:
        assert profile.schema_version == len(MIGRATIONS)
        assert profile.quick_check() == "ok"
        labels = [r[0] for r in profile.db.get().execute("SELECT week_label FROM weeks")]
        assert labels == ["before upgrade"]
    finally:
        profile.close()
    backups = list_backups(data_dir / "backups")
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0].path)
    assert copy.execute("PRAGMA user_version").fetchone()[0] == k  # taken before the upgrade
    copy.close()


def test_new_database_needs_no_backup(data_dir: Path) -> None:
    Profile.open(data_dir).close()
    assert list_backups(data_dir / "backups") == []


def test_failed_backup_stops_the_upgrade(data_dir: Path) -> None:
    conn = connect(data_dir / "wfh_agent.db")
    migrate(conn, MIGRATIONS[:1])
    conn.close()

    def refuse(_path: Path, _old: int, _new: int) -> None:
        raise OSError("backups folder not writable")

    with pytest.raises(OSError):
        Profile.open(data_dir, before_upgrade=refuse)
    conn = sqlite3.connect(data_dir / "wfh_agent.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
