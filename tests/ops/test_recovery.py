"""Corruption walk-through, restore validation and the recovery dialog."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.errors import StorageError
from app.profile import Profile
from app.single_instance import SingleInstance
from app.storage import recovery
from app.storage.backup import create_backup, list_backups
from app.ui import recovery_dialog


def _profile_with_weeks(data_dir: Path, labels: list[str]) -> Profile:
    profile = Profile.open(data_dir)
    conn = profile.db.get()
    for label in labels:
        conn.execute("INSERT INTO weeks (week_label) VALUES (?)", (label,))
    return profile


def _corrupt(path: Path) -> bytes:
    """Overwrite everything after the 100-byte header with garbage; return the damaged bytes."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(bytes((i * 37 + 11) % 256 for i in range(size - 100)))
    return path.read_bytes()


def _labels(data_dir: Path) -> list[str]:
    profile = Profile.open(data_dir)
    try:
        return [r[0] for r in profile.db.get().execute("SELECT week_label FROM weeks ORDER BY id")]
    finally:
        profile.close()


def test_corruption_walk_through(data_dir: Path) -> None:
    profile = _profile_with_weeks(data_dir, ["kept 1", "kept 2"])
    create_backup(profile.paths.db_path, profile.paths.backups_dir)
    profile.db.get().execute("INSERT INTO weeks (week_label) VALUES ('after the backup')")
    profile.close()
    db = profile.paths.db_path
    damaged = _corrupt(db)

    health = recovery.check_database(db)
    assert not health.ok and health.problem
    with pytest.raises(StorageError):
        Profile.open(data_dir)  # what would happen without recovery

    result = recovery.recover_with_backup(db, profile.paths.backups_dir)
    assert result.aside.name.startswith("wfh_agent.db.corrupt-")
    assert result.aside.read_bytes() == damaged  # kept, byte for byte
    assert recovery.check_database(db).ok
    assert _labels(data_dir) == ["kept 1", "kept 2"]


def test_damaged_newest_backup_is_skipped(data_dir: Path) -> None:
    from datetime import UTC, datetime, timedelta

    profile = _profile_with_weeks(data_dir, ["good"])
    now = datetime.now(UTC)
    good = create_backup(profile.paths.db_path, profile.paths.backups_dir, now=now - timedelta(days=1))
    bad = create_backup(profile.paths.db_path, profile.paths.backups_dir, now=now)
    profile.close()
    _corrupt(bad)
    best = recovery.newest_good_backup(profile.paths.backups_dir)
    assert best is not None and best.path == good
    assert bad.exists()  # damaged backups are skipped, not deleted


def test_no_good_backup_moves_nothing(data_dir: Path) -> None:
    profile = _profile_with_weeks(data_dir, ["x"])
    profile.close()
    _corrupt(profile.paths.db_path)
    with pytest.raises(StorageError, match="no intact backup"):
        recovery.recover_with_backup(profile.paths.db_path, profile.paths.backups_dir)
    assert profile.paths.db_path.exists()
    result = recovery.start_empty(profile.paths.db_path)
    assert result.aside.exists() and not profile.paths.db_path.exists()
    assert _labels(data_dir) == []


def test_unreadable_header_is_detected(data_dir: Path) -> None:
    (data_dir / "wfh_agent.db").write_bytes(b"this is not sqlite at all" * 200)
    assert not recovery.check_database(data_dir / "wfh_agent.db").ok
    assert recovery.check_database(data_dir / "missing.db").ok  # a new profile is fine


def test_side_files_move_with_the_database(data_dir: Path) -> None:
    db = data_dir / "wfh_agent.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).write_bytes(b"x")
    aside = recovery.move_aside(db)
    assert sorted(p.name for p in data_dir.iterdir()) == sorted(
        [aside.name, aside.name + "-wal", aside.name + "-shm"])


def test_restore_validates_the_file(data_dir: Path, tmp_path: Path) -> None:
    profile = _profile_with_weeks(data_dir, ["current"])
    profile.close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    for bad in (junk, foreign, tmp_path / "missing.db"):
        with pytest.raises(StorageError):
            recovery.restore_file(bad, profile.paths.db_path)
    assert _labels(data_dir) == ["current"]


def test_cli_restore_keeps_the_current_db_aside(data_dir: Path, capsys) -> None:
    profile = _profile_with_weeks(data_dir, ["old"])
    copy = create_backup(profile.paths.db_path, profile.paths.backups_dir)
    profile.db.get().execute("INSERT INTO weeks (week_label) VALUES ('new')")
    profile.close()
    assert cli_main(["--data-dir", str(data_dir), "restore", str(copy)]) == 0
    assert "restored" in capsys.readouterr().out
    assert _labels(data_dir) == ["old"]
    kept = [p for p in data_dir.iterdir() if p.name.startswith("wfh_agent.db.before-restore-")]
    assert len(kept) == 1 and os.stat(kept[0]).st_mode & 0o077 == 0


def test_cli_restore_refuses_while_the_app_runs(qapp, data_dir: Path, capsys) -> None:
    profile = _profile_with_weeks(data_dir, ["live"])
    copy = create_backup(profile.paths.db_path, profile.paths.backups_dir)
    guard = SingleInstance(profile.paths)
    assert guard.acquire()
    try:
        assert cli_main(["--data-dir", str(data_dir), "restore", str(copy)]) == 2
        assert "running" in capsys.readouterr().err
    finally:
        guard.release()
        profile.close()


@pytest.mark.parametrize("choice", ["restore", "empty", "quit"])
def test_recovery_dialog_choices(qtbot, data_dir: Path, choice: str) -> None:
    profile = _profile_with_weeks(data_dir, ["saved"])
    create_backup(profile.paths.db_path, profile.paths.backups_dir)
    profile.close()
    _corrupt(profile.paths.db_path)
    health = recovery.check_database(profile.paths.db_path)
    best = recovery.newest_good_backup(profile.paths.backups_dir)
    dialog = recovery_dialog.RecoveryDialog(profile.paths, health, best)
    qtbot.addWidget(dialog)
    assert dialog.restore_button.isEnabled()
    button = {"restore": dialog.restore_button, "empty": dialog.empty_button, "quit": dialog.quit_button}[choice]
    button.click()
    assert dialog.choice == choice
    result = recovery_dialog.apply_choice(dialog.choice, profile.paths)
    corrupt = [p for p in data_dir.iterdir() if ".corrupt-" in p.name]
    if choice == "quit":
        assert result is None and corrupt == [] and not recovery.check_database(profile.paths.db_path).ok
    else:
        assert result is not None and len(corrupt) == 1
        assert _labels(data_dir) == (["saved"] if choice == "restore" else [])
    assert len(list_backups(profile.paths.backups_dir)) >= 1


def test_recovery_dialog_without_backups_disables_restore(qtbot, data_dir: Path) -> None:
    profile = _profile_with_weeks(data_dir, [])
    profile.close()
    dialog = recovery_dialog.RecoveryDialog(profile.paths, recovery.Health(False, "malformed"), None)
    qtbot.addWidget(dialog)
    assert not dialog.restore_button.isEnabled()
    assert dialog.quit_button.isDefault()


def test_locked_database_is_not_called_damaged(data_dir: Path) -> None:
    db = data_dir / "plain.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # rollback-journal file: readers are locked out
    try:
        with pytest.raises(StorageError, match="locked"):
            recovery.check_database(db, timeout=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert recovery.check_database(db).ok


def test_offer_recovery_restores_and_lets_start_continue(qtbot, data_dir: Path, monkeypatch) -> None:
    profile = _profile_with_weeks(data_dir, ["from backup"])
    create_backup(profile.paths.db_path, profile.paths.backups_dir)
    profile.close()
    _corrupt(profile.paths.db_path)
    health = recovery.check_database(profile.paths.db_path)

    def click_restore(dialog: recovery_dialog.RecoveryDialog) -> int:
        dialog.restore_button.click()
        return 1

    monkeypatch.setattr(recovery_dialog.RecoveryDialog, "exec", click_restore)
    assert recovery_dialog.offer_recovery(profile.paths, health)
    assert _labels(data_dir) == ["from backup"]

    monkeypatch.setattr(recovery_dialog.RecoveryDialog, "exec", lambda d: d.quit_button.click() or 0)
    assert not recovery_dialog.offer_recovery(profile.paths, recovery.Health(False, "x"))


def test_check_and_recover_passes_healthy_and_missing_databases(qapp, data_dir: Path) -> None:
    opened = Profile.open(data_dir)
    opened.close()
    paths = opened.paths
    assert recovery_dialog.check_and_recover(paths)  # healthy: no dialog
    paths.db_path.unlink()
    assert recovery_dialog.check_and_recover(paths)  # a new profile: no dialog either
