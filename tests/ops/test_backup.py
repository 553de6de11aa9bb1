"""Online backups: consistency under concurrent writes, rotation, naming, schedule, CLI."""

from __future__ import annotations

import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.storage import backup
from app.storage.db import write_transaction
from app.ui import daily_jobs


def _count(path: Path, table: str = "weeks") -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_backup_under_continuous_writes_is_consistent(profile) -> None:
    stop = threading.Event()
    warmed_up = threading.Event()
    written = [0]

    def writer() -> None:
        conn = profile.db.get()
        try:
            while not stop.is_set():
                with write_transaction(conn):
                    cur = conn.execute("INSERT INTO weeks (week_label) VALUES (?)", (f"w{written[0]}",))
                    conn.executemany(
                        "INSERT INTO tasks_optimized (week_id, project_name, duration_seconds) VALUES (?, ?, ?)",
                        [(cur.lastrowid, "p", i) for i in range(20)],
                    )
                written[0] += 1
                if written[0] == 50:
                    warmed_up.set()
        finally:
            profile.db.close_thread()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert warmed_up.wait(30)
        at_start = written[0]
        path = backup.create_backup(profile.paths.db_path, profile.paths.backups_dir)
        assert written[0] > at_start or thread.is_alive()
    finally:
        stop.set()
        thread.join(30)
    assert backup.integrity_problems(path) is None
    weeks = _count(path)
    assert at_start <= weeks <= written[0]
    assert _count(path, "tasks_optimized") == weeks * 20  # every week with all its tasks: one snapshot
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not Path(str(path) + "-wal").exists()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert [p.name for p in profile.paths.backups_dir.iterdir()] == [path.name]  # no .partial left


def test_rotation_keeps_the_newest_seven(profile) -> None:
    start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    made = [backup.create_backup(profile.paths.db_path, profile.paths.backups_dir, now=start + timedelta(days=i))
            for i in range(10)]
    left = backup.list_backups(profile.paths.backups_dir)
    assert [b.path for b in left] == list(reversed(made[3:]))
    assert left[0].path.name == "wfh_agent-20261110-120000.db"


def test_keep_setting_is_honoured_and_never_zero(profile) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(4):
        backup.create_backup(profile.paths.db_path, profile.paths.backups_dir, keep=2, now=now + timedelta(hours=i))
    assert len(backup.list_backups(profile.paths.backups_dir)) == 2
    backup.create_backup(profile.paths.db_path, profile.paths.backups_dir, keep=0, now=now + timedelta(days=1))
    assert len(backup.list_backups(profile.paths.backups_dir)) == 1


def test_two_backups_in_one_second_get_distinct_names(profile) -> None:
    now = datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC)
    first = backup.create_backup(profile.paths.db_path, profile.paths.backups_dir, now=now)
    second = backup.create_backup(profile.paths.db_path, profile.paths.backups_dir, now=now)
    assert (first.name, second.name) == ("wfh_agent-20261126-080000.db", "wfh_agent-20261126-080000-2.db")
    assert backup.list_backups(profile.paths.backups_dir)[0].path == second


def test_missing_database_is_a_clear_error(data_dir: Path) -> None:
    from app.errors import StorageError

    with pytest.raises(StorageError, match="no database"):
        backup.create_backup(data_dir / "wfh_agent.db", data_dir / "backups")


def test_is_backup_due() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert backup.is_backup_due(None, now)
    assert not backup.is_backup_due(now - timedelta(hours=23), now)
    assert backup.is_backup_due(now - timedelta(days=1), now)
    assert not backup.is_backup_due(now + timedelta(hours=2), now)
    assert backup.is_backup_due(now + timedelta(days=3), now)  # clock was wrong then


def test_parse_ignores_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "wfh_agent-20261126-080000.db.partial").write_text("x")
    assert backup.list_backups(tmp_path) == []
    assert backup.parse_backup_name("wfh_agent-20261126-080000-3.db") == (
        datetime(2026, 11, 26, 8, tzinfo=UTC), 3)


def test_scheduler_backs_up_once_when_due(qtbot, profile) -> None:
    job = daily_jobs.backup_scheduler(profile.paths.db_path, profile.paths.backups_dir, keep=lambda: 7)
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        assert job.check_now()
    assert Path(blocker.args[0]).is_file()
    job.stop()
    assert not job.check_now()  # the new backup is fresh: not due again
    job.stop()


def test_scheduler_reports_failures(qtbot, data_dir: Path) -> None:
    def boom() -> None:
        raise OSError("disk unplugged")

    job = daily_jobs.DailyJob("test job", boom, lambda: True)
    with qtbot.waitSignal(job.failed, timeout=10_000) as blocker:
        job.check_now()
    assert "disk unplugged" in blocker.args[0]
    job.stop()


def test_cli_backup_prints_the_path(profile, capsys) -> None:
    profile.close()
    assert cli_main(["--data-dir", str(profile.paths.data_dir), "backup"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed.parent == profile.paths.backups_dir and backup.integrity_problems(printed) is None


def test_daily_job_timer_runs_the_first_check(qtbot, profile) -> None:
    job = daily_jobs.backup_scheduler(profile.paths.db_path, profile.paths.backups_dir, keep=lambda: 7)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start(first_check_ms=10)  # the timer, not a direct call, starts the backup
    job.stop()
    assert len(backup.list_backups(profile.paths.backups_dir)) == 1
