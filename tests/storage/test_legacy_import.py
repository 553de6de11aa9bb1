"""Legacy import on a generated messy database: nothing dropped, idempotent, source untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.errors import StorageError
from app.profile import Profile
from app.storage.legacy_import import ORPHAN_WEEK_LABEL, ImportCancelled, import_legacy
from tests.support.legacy import build_messy_legacy_db


@pytest.fixture
def legacy(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    path = tmp_path / "legacy.db"
    return path, build_messy_legacy_db(path)


def test_every_row_arrives_with_parsed_durations(profile: Profile, legacy: tuple[Path, dict]) -> None:
    path, facts = legacy
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    report = import_legacy(profile.db.get(), path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the legacy file must not change"
    assert report.weeks_imported == 4  # three weeks plus the week for the orphan task
    assert report.tasks_imported == facts["tasks"]
    assert report.tasks_skipped == 0
    conn = profile.db.get()
    stored = dict(conn.execute("SELECT legacy_id, duration_seconds FROM tasks_optimized").fetchall())
    assert stored == facts["expected_seconds"]
    duration_warnings = sorted(w.id for w in report.warnings if w.table == "tasks" and w.field == "duration")
    assert duration_warnings == facts["unparseable_task_ids"]
    for warning in report.warnings:
        assert warning.problem and warning.id is not None
    assert report.verified and len(report.checks) == 4


def test_report_lists_bad_scores_and_orphans(profile: Profile, legacy: tuple[Path, dict]) -> None:
    path, _ = legacy
    report = import_legacy(profile.db.get(), path)
    problems = {(w.id, w.field) for w in report.warnings}
    assert (999, "week_id") in problems
    score_warnings = {w.value for w in report.warnings if w.field == "score"}
    assert score_warnings == {150, "x"}
    conn = profile.db.get()
    orphan_week = conn.execute("SELECT id FROM weeks WHERE week_label = ?", (ORPHAN_WEEK_LABEL,)).fetchone()[0]
    assert conn.execute("SELECT week_id FROM tasks_optimized WHERE legacy_id = 999").fetchone()[0] == orphan_week


def test_unicode_and_quotes_survive(profile: Profile, legacy: tuple[Path, dict]) -> None:
    path, _ = legacy
    import_legacy(profile.db.get(), path)
    conn = profile.db.get()
    names = {r[0] for r in conn.execute("SELECT project_name FROM tasks_optimized")}
    assert {"日本語プロジェクト", "O'Reilly \"Books\"", "Ünïcødé 🚀"} <= names
    labels = {r[0] for r in conn.execute("SELECT week_label FROM weeks")}
    assert "Week 2 'quotes' \"double\"" in labels and "Empty week" in labels
    bonus = conn.execute("SELECT is_bonus_week, bonus_rate, bonus_threshold_seconds FROM weeks "
                         "WHERE legacy_id = 2").fetchone()
    assert tuple(bonus) == (1, 12.5, 40 * 3600)


def test_second_run_imports_nothing_new(profile: Profile, legacy: tuple[Path, dict]) -> None:
    path, facts = legacy
    import_legacy(profile.db.get(), path)
    again = import_legacy(profile.db.get(), path)
    assert (again.weeks_imported, again.tasks_imported, again.tasks_skipped) == (0, 0, facts["tasks"])
    assert "Nothing new" in again.to_text()
    conn = profile.db.get()
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0] == facts["tasks"]
    assert again.verified


def test_events_and_statistics_written(profile: Profile, legacy: tuple[Path, dict]) -> None:
    path, facts = legacy
    import_legacy(profile.db.get(), path)
    conn = profile.db.get()
    events = conn.execute("SELECT COUNT(*) FROM task_events WHERE event_type = 'task_created' "
                          "AND user_action = 'import'").fetchone()[0]
    assert events == facts["tasks"]
    stats = conn.execute("SELECT SUM(total_tasks), SUM(total_duration_seconds) FROM week_statistics").fetchone()
    assert tuple(stats) == (facts["tasks"], sum(facts["expected_seconds"].values()))


def test_cancel_rolls_back_everything(profile: Profile, tmp_path: Path) -> None:
    from tests.support.legacy import build_large_legacy_db

    path = tmp_path / "big.db"
    build_large_legacy_db(path, weeks=5, tasks_per_week=300)
    with pytest.raises(ImportCancelled):
        import_legacy(profile.db.get(), path, should_cancel=lambda: True)
    conn = profile.db.get()
    assert conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0] == 0


def test_progress_reaches_total(profile: Profile, tmp_path: Path) -> None:
    from tests.support.legacy import build_large_legacy_db

    path = tmp_path / "big.db"
    total = build_large_legacy_db(path, weeks=10, tasks_per_week=500)
    seen: list[tuple[int, int]] = []
    import_legacy(profile.db.get(), path, progress=lambda done, n: seen.append((done, n)))
    assert seen[-1] == (total, total) and len(seen) > 1


def test_not_a_legacy_database(profile: Profile, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (id INTEGER)").connection.commit()
    with pytest.raises(StorageError, match="not a legacy WFH Agent database"):
        import_legacy(profile.db.get(), other)
    with pytest.raises(StorageError, match="no such file"):
        import_legacy(profile.db.get(), tmp_path / "missing.db")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StorageError):
        import_legacy(profile.db.get(), garbage)


def test_legacy_durations_keep_mm_ss_and_the_report_says_so(profile: Profile, legacy: tuple[Path, dict]) -> None:
    path, facts = legacy
    report = import_legacy(profile.db.get(), path)
    assert 7530 in dict(facts["expected_seconds"]).values()  # "125:30" is 125 min 30 s here, not 125 h 30 min
    assert "125:30 = 125 min 30 s" in report.to_text()
