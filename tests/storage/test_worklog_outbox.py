"""Issue 18, client storage: the worklog_sync migration (UUIDs, sync clock, existing data queued once) and its
triggers (every write of weeks and tasks queues its version in the same transaction; deletes leave tombstones)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.errors import ValidationError
from app.storage import migrate
from app.storage.db import connect
from app.sync import outbox

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CLOCK = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def data_service(profile: Any, qapp: Any) -> Any:
    from app.services.data_service import DataService

    return DataService(profile.db)


def _worklog_migration() -> migrate.Migration:
    return next(m for m in migrate.load_migrations() if m.name == "worklog_sync")


def _pending(conn: sqlite3.Connection, stream: str) -> list[sqlite3.Row]:
    return conn.execute(f"SELECT * FROM {outbox.table(stream)} WHERE synced_at IS NULL ORDER BY id").fetchall()


def _records(conn: sqlite3.Connection, stream: str) -> list[dict[str, Any]]:
    return [row.record for row in outbox.fetch_batch(conn, stream, 1000)]


def test_upgrade_gives_existing_rows_uuids_and_queues_them_once(tmp_path: Path) -> None:
    shipped = migrate.load_migrations()
    target = _worklog_migration()
    conn = connect(tmp_path / "old.db")
    migrate.migrate(conn, [m for m in shipped if m.version < target.version])
    conn.execute("INSERT INTO weeks (week_label, updated_at) VALUES ('2026-W01', '2026-01-05 10:00:00')")
    conn.execute("INSERT INTO weeks (week_label) VALUES ('Old week')")
    conn.executemany("INSERT INTO tasks_optimized (week_id, project_name, updated_at) VALUES (1, ?, "
                     "'2026-01-05 11:00:00')", [(f"p{i}",) for i in range(50)])
    conn.execute("UPDATE tasks_optimized SET deleted_at = '2026-01-06 09:00:00' WHERE id = 50")
    migrate.migrate(conn, shipped)
    weeks = conn.execute("SELECT uuid, sync_updated_at FROM weeks").fetchall()
    tasks = conn.execute("SELECT uuid, sync_updated_at FROM tasks_optimized").fetchall()
    uuids = [r[0] for r in [*weeks, *tasks]]
    assert all(UUID4.match(u) for u in uuids) and len(set(uuids)) == 52
    assert all(CLOCK.match(r[1]) for r in [*weeks, *tasks])
    assert conn.execute("SELECT sync_updated_at FROM tasks_optimized WHERE id = 1").fetchone()[0] == \
        "2026-01-05T11:00:00.000Z"
    assert len(_pending(conn, "weeks")) == 2 and len(_pending(conn, "tasks")) == 50
    tombstone = [r for r in _records(conn, "tasks") if r["project_name"] == "p49"][0]
    assert tombstone["deleted_at"] == tombstone["updated_at"]
    assert migrate.migrate(conn, shipped) == shipped[-1].version
    assert len(_pending(conn, "tasks")) == 50, "queued once, not at every start"


def test_every_write_queues_its_version_in_the_same_transaction(data_service: Any) -> None:
    conn = data_service.db.get()
    week = data_service.create_week("2026-W10", notes="n")
    other = data_service.create_week("2026-W11")
    task = data_service.create_task(week, {"project_name": "A", "duration": "00:10:00", "score": 80})
    assert [r["project_name"] for r in _records(conn, "tasks")] == ["A"]
    with pytest.raises(ValidationError):
        data_service.create_task(week, {"project_name": "bad", "duration": "nonsense"})
    with pytest.raises(ValidationError):
        data_service.update_task(task, {"score": "high"})
    assert len(_pending(conn, "tasks")) == 1, "a write that failed queued nothing"
    data_service.update_task(task, {"project_name": "B"})
    data_service.update_task_duration(task, 900)
    data_service.stop_timer(task, 60)
    record = _records(conn, "tasks")[0]
    assert len(_pending(conn, "tasks")) == 1, "unsent versions of one task travel as its latest"
    assert (record["project_name"], record["duration_seconds"], record["score"]) == ("B", 960, 80)
    data_service.update_task(task, {"week_id": other})
    week_uuids = dict(conn.execute("SELECT id, uuid FROM weeks").fetchall())
    assert _records(conn, "tasks")[0]["week_client_id"] == week_uuids[other], "a move names the new week"
    data_service.update_week(week, notes="changed")
    assert [r["notes"] for r in _records(conn, "weeks")] == ["changed", ""]
    data_service.delete_task(task)
    deleted = _records(conn, "tasks")[0]
    assert deleted["deleted_at"] is not None and deleted["deleted_at"] == deleted["updated_at"]


def test_sync_clock_strictly_increases_even_within_one_millisecond(data_service: Any) -> None:
    conn = data_service.db.get()
    week = data_service.create_week("2026-W12")
    task = data_service.create_task(week, {"project_name": "A"})
    stamps = [conn.execute("SELECT sync_updated_at FROM tasks_optimized WHERE id = ?", (task,)).fetchone()[0]]
    for seconds in range(1, 40):
        conn.execute("UPDATE tasks_optimized SET duration_seconds = ? WHERE id = ?", (seconds, task))
        stamps.append(conn.execute("SELECT sync_updated_at FROM tasks_optimized WHERE id = ?", (task,)).fetchone()[0])
    assert all(a < b for a, b in zip(stamps, stamps[1:], strict=False)), stamps
    conn.execute("UPDATE tasks_optimized SET duration_seconds = duration_seconds WHERE id = ?", (task,))
    assert conn.execute("SELECT sync_updated_at FROM tasks_optimized WHERE id = ?", (task,)).fetchone()[0] == \
        stamps[-1], "a write that changes nothing is not a new version"


def test_deleting_a_week_sends_tombstones_of_the_week_and_its_tasks(data_service: Any) -> None:
    conn = data_service.db.get()
    week = data_service.create_week("2026-W13", is_bonus_week=True, bonus_rate=2.5)
    tasks = [data_service.create_task(week, {"project_name": f"P{i}"}) for i in range(3)]
    data_service.delete_task(tasks[0])
    for row in outbox.fetch_batch(conn, "weeks", 10) + outbox.fetch_batch(conn, "tasks", 10):
        stream = "weeks" if "week_label" in row.record else "tasks"
        outbox.commit_batch(conn, stream, [row], {}, 200)
    assert not _pending(conn, "weeks") and not _pending(conn, "tasks")
    data_service.update_task(tasks[1], {"project_name": "edited, not sent"})
    data_service.delete_week(week)
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0] == 0
    weeks = _records(conn, "weeks")
    assert len(weeks) == 1 and weeks[0]["deleted_at"] == weeks[0]["updated_at"]
    assert (weeks[0]["week_label"], weeks[0]["is_bonus_week"], weeks[0]["bonus_rate"]) == ("2026-W13", True, 2.5)
    tasks_out = _records(conn, "tasks")
    by_name = [(r["project_name"], r["deleted_at"] is not None) for r in tasks_out]
    # the unsent edit keeps its own version, then the tombstones of the two live tasks; the task deleted and
    # already sent needs no second tombstone
    assert by_name == [("edited, not sent", False), ("edited, not sent", True), ("P2", True)], by_name
    assert all(r["week_client_id"] == weeks[0]["client_id"] for r in tasks_out)
    edited, tomb = tasks_out[0], [r for r in tasks_out if r["client_id"] == tasks_out[0]["client_id"]][1]
    assert tomb["updated_at"] > edited["updated_at"]


def test_commit_keeps_a_version_changed_in_flight(data_service: Any) -> None:
    conn = data_service.db.get()
    week = data_service.create_week("2026-W14")
    task = data_service.create_task(week, {"project_name": "A"})
    batch = outbox.fetch_batch(conn, "tasks", 10)
    data_service.update_task(task, {"project_name": "B"})  # while the batch is on the wire
    assert outbox.commit_batch(conn, "tasks", batch, {}, 200) == 0
    assert [r["project_name"] for r in _records(conn, "tasks")] == ["B"]
    assert outbox.commit_batch(conn, "tasks", outbox.fetch_batch(conn, "tasks", 10), {}, 200) == 1
    assert not _pending(conn, "tasks")


def test_contract_shapes_of_queued_records(data_service: Any) -> None:
    conn = data_service.db.get()
    week = data_service.create_week("2026-W15", week_start_day=1, bonus_threshold_seconds=3600)
    data_service.create_task(week, {"project_name": "A", "attempt_id": "x", "time_limit": "00:30:00",
                                    "date_audited": "2026-04-07", "bonus_paid": True})
    week_record = _records(conn, "weeks")[0]
    task_record = _records(conn, "tasks")[0]
    assert list(week_record) == [name for name, _ in outbox.FIELDS["weeks"]]
    assert list(task_record) == [name for name, _ in outbox.FIELDS["tasks"]]
    assert week_record["is_custom_duration"] is False and week_record["week_start_day"] == 1
    assert task_record["bonus_paid"] is True and task_record["time_limit_seconds"] == 1800
    assert task_record["week_client_id"] == week_record["client_id"]
    json.dumps(week_record, allow_nan=False)
    assert all(CLOCK.match(r["updated_at"]) for r in (week_record, task_record))


def test_new_rows_get_time_ordered_uuids(data_service: Any) -> None:
    """Version 7 (Unix milliseconds first): the UUID indexes grow at their end during a bulk import."""
    import time as _time
    import uuid as _uuid

    conn = data_service.db.get()
    week = data_service.create_week("2026-W16")
    first = data_service.create_task(week, {"project_name": "a"})
    _time.sleep(0.005)
    second = data_service.create_task(week, {"project_name": "b"})
    uuids = [conn.execute("SELECT uuid FROM tasks_optimized WHERE id = ?", (i,)).fetchone()[0] for i in (first, second)]
    parsed = [_uuid.UUID(u) for u in uuids]
    assert [p.version for p in parsed] == [7, 7] and all(p.variant == _uuid.RFC_4122 for p in parsed)
    assert uuids[0] < uuids[1]
    assert abs(int(uuids[0].replace("-", "")[:12], 16) / 1000 - _time.time()) < 60
