"""DataService: writes, events, statistics, validation, invalidation and signal order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.domain.changes import BULK_ROWS, Changes
from app.errors import NotFoundError, ValidationError
from app.services.data_service import DataService


def _events(service: DataService) -> list[tuple[Any, ...]]:
    rows = service.db.get().execute(
        "SELECT task_id, event_type, duration_change, user_action FROM task_events ORDER BY id").fetchall()
    return [tuple(r) for r in rows]


def _fresh_stats(service: DataService, week_id: int) -> tuple[Any, ...]:
    row = service.db.get().execute(
        "SELECT COUNT(*), COALESCE(SUM(duration_seconds), 0) FROM tasks_optimized "
        "WHERE week_id = ? AND deleted_at IS NULL", (week_id,)).fetchone()
    return tuple(row)


def test_create_week_and_tasks_keep_statistics(service: DataService) -> None:
    week = service.create_week("2026-W48", is_bonus_week=True, bonus_rate=20.0, bonus_threshold_seconds=3600)
    a = service.create_task(week, {"project_name": "A", "duration": "01:30:00", "score": 90, "time_limit": "01:00:00"})
    service.create_task(week, {"project_name": "B", "duration": "2:05:30", "score": 70})
    analytics = service.get_week_analytics(week)
    assert (analytics.total_tasks, analytics.total_duration_seconds) == (2, 5400 + 7530) == _fresh_stats(service, week)
    assert analytics.avg_score == 80.0
    assert analytics.on_time_tasks == 1 and analytics.productivity_score == 40.0
    assert [(p.project_name, p.duration_seconds) for p in analytics.projects] == [("B", 7530), ("A", 5400)]
    assert analytics.bonus_eligible_seconds == 5400 + 7530 - 3600
    assert analytics.bonus_amount == round((5400 + 7530 - 3600) / 3600 * 20.0, 2)
    stored = service.db.get().execute("SELECT project_breakdown FROM week_statistics WHERE week_id = ?",
                                      (week,)).fetchone()[0]
    assert json.loads(stored) == {"A": {"duration": 5400, "task_count": 1}, "B": {"duration": 7530, "task_count": 1}}
    assert service.get_task(a).duration_display == "01:30:00"


def test_every_change_writes_its_event(service: DataService) -> None:
    week = service.create_week("W")
    task = service.create_task(week, {"duration": "00:10:00"})
    service.update_task(task, {"feedback": "fine"})
    service.update_task_duration(task, 900, method="manual")
    service.start_timer(task)
    service.stop_timer(task, 60)
    service.delete_task(task)
    assert _events(service) == [
        (task, "task_created", 600, "manual"),
        (task, "task_updated", 0, "manual"),
        (task, "task_updated", 300, "manual"),
        (task, "timer_start", 0, "timer"),
        (task, "timer_stop", 60, "timer"),
        (task, "task_deleted", -960, "manual"),
    ]
    assert service.get_week_analytics(week).total_tasks == 0


@pytest.mark.parametrize("data, field", [
    ({"duration": "-00:01"}, "duration"),
    ({"duration": "1000:00:01"}, "duration"),
    ({"duration": "abc"}, "duration"),
    ({"score": 101}, "score"),
    ({"score": -1}, "score"),
    ({"time_begin": "2026-11-26T10:00", "time_end": "2026-11-26T09:00"}, "time_end"),
    ({"date_audited": "26.11.2026x"}, "date_audited"),
    ({"colour": "red"}, None),
])
def test_bad_task_input_writes_nothing(service: DataService, data: dict[str, Any], field: str | None) -> None:
    week = service.create_week("W")
    before = service.db.get().total_changes
    with pytest.raises(ValidationError) as info:
        service.create_task(week, data)
    assert info.value.field == field
    assert service.db.get().total_changes == before
    assert service.get_week_tasks(week) == ()


def test_duplicate_label_and_unknown_ids(service: DataService) -> None:
    week = service.create_week("Same")
    with pytest.raises(ValidationError, match="already exists"):
        service.create_week("Same")
    other = service.create_week("Other")
    with pytest.raises(ValidationError, match="already exists"):
        service.update_week(other, week_label="Same")
    with pytest.raises(NotFoundError):
        service.create_task(9999, {})
    with pytest.raises(NotFoundError):
        service.update_task(9999, {"score": 1})
    with pytest.raises(NotFoundError):
        service.delete_week(9999)
    with pytest.raises(ValidationError, match="hours"):
        service.update_task_duration(service.create_task(week, {}), 3_600_001)
    with pytest.raises(ValidationError):
        service.create_week("   ")
    with pytest.raises(ValidationError, match="week_start_hour"):
        service.create_week("Bad hour", week_start_hour=24)


def test_multi_create_is_all_or_nothing(service: DataService) -> None:
    week = service.create_week("W")
    with pytest.raises(ValidationError, match="row 2: score"):
        service.create_tasks(week, [{"score": 1}, {"score": 500}, {"score": 2}])
    assert service.count_week_tasks(week) == 0


def test_cached_reads_see_changes_after_commit(service: DataService) -> None:
    week = service.create_week("W")
    first = service.create_task(week, {"duration": 60})
    assert len(service.get_week_tasks(week)) == 1
    assert len(service.get_week_tasks(week, 10, 0)) == 1
    service.create_task(week, {"duration": 30})
    assert len(service.get_week_tasks(week)) == 2
    assert len(service.get_week_tasks(week, 10, 0)) == 2, "paged entries must be invalidated too"
    assert service.get_week_analytics(week, "totals")["total_duration_seconds"] == 90
    service.delete_task(first)
    assert [t.duration_seconds for t in service.get_week_tasks(week)] == [30]
    assert service.list_weeks()[0].task_count == 1


def test_delete_week_invalidates_with_known_week_id(service: DataService) -> None:
    keep = service.create_week("keep")
    doomed = service.create_week("doomed")
    service.create_tasks(doomed, [{"duration": 10}, {"duration": 20}])
    service.create_task(keep, {"duration": 5})
    assert service.get_week_data(doomed) is not None
    assert len(service.get_week_tasks(doomed)) == 2
    assert service.delete_week(doomed) == 2
    assert service.get_week_data(doomed) is None
    assert service.get_week_tasks(doomed) == ()
    assert [w.week_label for w in service.list_weeks()] == ["keep"]
    assert len(service.get_week_tasks(keep)) == 1


def test_moving_a_task_updates_both_weeks(service: DataService, qtbot: Any) -> None:
    a = service.create_week("A")
    b = service.create_week("B")
    task = service.create_task(a, {"duration": 100})
    service.get_week_analytics(a)
    service.get_week_analytics(b)
    seen: list[Changes] = []
    service.changed.connect(seen.append)
    service.update_task(task, {"week_id": b})
    assert seen == [Changes(weeks_updated=tuple(sorted((a, b))), tasks_updated=(task,))]
    assert service.get_week_analytics(a).total_duration_seconds == 0
    assert service.get_week_analytics(b).total_duration_seconds == 100


def test_one_change_set_per_transaction(service: DataService) -> None:
    seen: list[Changes] = []
    service.changed.connect(seen.append)
    week = service.create_week("Signals")
    task = service.create_task(week, {"duration": 5})
    service.update_task_duration(task, 50)
    service.delete_task(task)
    service.delete_week(week)
    assert seen == [
        Changes(weeks_created=(week,)),
        Changes(weeks_updated=(week,), tasks_created=(task,)),
        Changes(weeks_updated=(week,), tasks_updated=(task,)),
        Changes(weeks_updated=(week,), tasks_deleted=(task,)),
        Changes(weeks_deleted=(week,)),
    ]


def test_a_large_write_is_one_bulk_change(service: DataService) -> None:
    """A CSV import of many rows sends one change set, flagged bulk, not one signal per row."""
    week = service.create_week("Import")
    seen: list[Changes] = []
    service.changed.connect(seen.append)
    ids = service.create_tasks(week, [{"score": i % 100} for i in range(BULK_ROWS + 1)])
    assert len(seen) == 1 and seen[0].bulk and seen[0].tasks_created == tuple(ids)
    service.create_tasks(week, [{} for _ in range(3)])
    assert len(seen) == 2 and not seen[1].bulk and seen[1].touches_week(week)


def test_slot_reading_through_cache_sees_new_data(service: DataService) -> None:
    week = service.create_week("W")
    service.get_week_analytics(week)
    seen: list[int] = []
    service.changed.connect(lambda c: seen.extend(service.get_week_analytics(w).total_tasks for w in c.weeks_updated))
    service.create_task(week, {})
    service.create_task(week, {})
    assert seen == [1, 2]


def test_no_change_update_is_silent(service: DataService) -> None:
    week = service.create_week("W")
    task = service.create_task(week, {"score": 5})
    fired: list[Changes] = []
    service.changed.connect(fired.append)
    service.update_task(task, {"score": 5})
    assert fired == []
    assert [e[1] for e in _events(service)] == ["task_created"]


def test_paging_is_newest_first_and_complete(service: DataService) -> None:
    week = service.create_week("W")
    ids = service.create_tasks(week, [{"score": i % 100} for i in range(25)])
    pages = [service.get_week_tasks(week, 10, off) for off in (0, 10, 20)]
    got = [t.id for page in pages for t in page]
    assert got == sorted(ids, reverse=True)
    with pytest.raises(ValidationError):
        service.get_week_tasks(week, -1, 0)


def test_blank_score_is_stored_as_null_and_left_out_of_the_averages(service: DataService) -> None:
    week = service.create_week("W-scores")
    blank = service.create_task(week, {"project_name": "A", "duration": "1h", "score": ""})
    service.create_task(week, {"project_name": "A", "duration": "1h", "score": 80})
    service.create_task(week, {"project_name": "B", "duration": "1h", "score": 60})
    assert service.get_task(blank).score is None
    stored = service.db.get().execute("SELECT score FROM tasks_optimized WHERE id = ?", (blank,)).fetchone()[0]
    assert stored is None
    analytics = service.get_week_analytics(week)
    assert analytics.total_tasks == 3 and analytics.avg_score == 70.0
    assert analytics.productivity_score == 70.0
    service.update_task(blank, {"score": 10})
    assert service.get_week_analytics(week).avg_score == 50.0
    service.update_task(blank, {"score": None})
    assert service.get_week_analytics(week).avg_score == 70.0


def test_week_labels_are_unique_ignoring_case_and_iso_labels_normalised(service: DataService) -> None:
    week = service.create_week("2026-w48")
    assert service.get_week_data(week).week_label == "2026-W48"
    assert service.get_week_data(week).start_date == "2026-11-23"
    with pytest.raises(ValidationError, match="'2026-W48' already exists"):
        service.create_week("2026-W48")
    service.create_week("Sprint")
    with pytest.raises(ValidationError, match="ignore upper and lower case"):
        service.create_week("SPRINT")
    other = service.create_week("Other")
    with pytest.raises(ValidationError):
        service.update_week(other, week_label="sprint")


def test_weeks_list_is_chronological_with_undated_weeks_last(service: DataService) -> None:
    service.create_week("Imported tasks")
    service.create_week("2025-W11")
    service.create_week("2026-W48")
    service.create_week("2025-W10")
    service.create_week("Custom", start_date="2026-01-07")
    assert [w.week_label for w in service.list_weeks()] == [
        "2026-W48", "Custom", "2025-W11", "2025-W10", "Imported tasks"]


def test_move_tasks_updates_both_weeks_and_logs_events(service: DataService, qtbot: Any) -> None:
    source, target = service.create_week("2026-W47"), service.create_week("2026-W48")
    a = service.create_task(source, {"duration": "1h", "score": 50})
    b = service.create_task(source, {"duration": "30m"})
    with qtbot.waitSignal(service.changed) as signal:
        assert service.move_tasks([a, b], target) == 2
    assert signal.args[0].weeks_updated == (source, target) and set(signal.args[0].tasks_updated) == {a, b}
    assert service.get_week_analytics(source).total_tasks == 0
    assert service.get_week_analytics(target).total_duration_seconds == 5400
    assert [t.id for t in service.get_week_tasks(target)] == [b, a]
    assert _events(service)[-2:] == [(a, "task_moved", 0, "manual"), (b, "task_moved", 0, "manual")]
    assert service.move_tasks([a], target) == 0
    with pytest.raises(NotFoundError):
        service.move_tasks([a], 9999)


def test_restore_tasks_undoes_a_delete(service: DataService) -> None:
    week = service.create_week("W")
    a = service.create_task(week, {"duration": "1h"})
    service.delete_tasks([a])
    assert service.get_week_analytics(week).total_tasks == 0
    service.restore_tasks([a])
    assert service.get_task(a).duration_seconds == 3600
    assert service.get_week_analytics(week).total_duration_seconds == 3600
    with pytest.raises(NotFoundError):
        service.restore_tasks([a])


def test_a_rolled_back_write_is_not_taken_for_a_later_foreign_one(service: DataService, monkeypatch: Any) -> None:
    from contextlib import contextmanager

    from app.errors import DiskFullError
    from app.services import data_service

    week = service.create_week("W")
    start = service.generation()
    real_transaction = data_service.write_transaction

    @contextmanager
    def commit_fails(conn: Any) -> Any:
        with real_transaction(conn):
            yield conn
            raise DiskFullError("disk full at COMMIT")  # after the bump: the whole transaction rolls back

    monkeypatch.setattr(data_service, "write_transaction", commit_fails)
    with pytest.raises(DiskFullError):
        service.create_task(week, {"duration": "1h"})
    monkeypatch.setattr(data_service, "write_transaction", real_transaction)
    assert service.generation() == start
    conn = service.db.get()
    conn.execute("UPDATE data_generation SET value = value + 1")  # another process's write, same number
    conn.commit()
    assert service.changed_elsewhere(start, start + 1) is True
    service.create_week("X")
    assert service.changed_elsewhere(start + 1, start + 2) is False
