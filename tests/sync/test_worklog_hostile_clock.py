"""A server's clock is input too: a received `updated_at`/`deleted_at` that is not a calendar time, or is later
than now + a day, is skipped and named; and a sync clock already stored (a profile that pulled before the check)
can never make the user's own later edit fail in the outbox triggers (the timer's hour was lost)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from app.sync import worklog
from tests.sync.test_worklog_pull import ScriptedServer, _sent, task_record, week_record

HOSTILE = ["9999-12-31T23:59:59.999Z", "2999-13-45T99:99:99.999Z", "2999-01-01T00:00:00.000Z",
           "2026-02-30T12:00:00.000Z", "2026-12-01T23:59:60.000Z"]


@pytest.fixture
def data(profile: Any, qapp: Any) -> Any:
    from app.services.data_service import DataService

    return DataService(profile.db)


def _stamp(offset: float) -> str:
    """The sync clock ``offset`` seconds from now."""
    moment = datetime.fromtimestamp(time.time() + offset, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _now_plus_300() -> str:
    return _stamp(300)  # what the server accepts of a local edit (§6.9)


@pytest.mark.parametrize("stamp", [*HOSTILE, "far"])
@pytest.mark.parametrize("name", ["updated_at", "deleted_at"])
def test_impossible_or_future_stamps_are_skipped_and_named(profile: Any, name: str, stamp: str) -> None:
    conn = profile.db.get()
    stamp = _stamp(25 * 3600) if stamp == "far" else stamp  # 25 hours ahead: no clock lag explains it
    fine = week_record("2026-W48", "2026-11-24T09:15:02.117Z")
    bad = {**week_record("2026-W49", "2026-11-24T09:15:02.117Z"), name: stamp}
    server = ScriptedServer()
    server.records["weeks"] = [bad, fine]
    result = worklog.pull(conn, server, from_start=True)
    assert len(result.invalid) == 1 and result.invalid[0].startswith(f"weeks record 1: {name}: "), result.invalid
    assert [r[0] for r in conn.execute("SELECT uuid FROM weeks")] == [fine["client_id"]]


def test_a_stamp_ahead_by_a_slow_clock_is_taken_one_a_day_ahead_is_not() -> None:
    """A device whose clock is 10 hours slow still takes the versions the server accepted (skipping them would
    move its cursor past them for good); 25 hours is no clock lag."""
    record = task_record("6f1f4b2a-3c9d-4e8f-a1b2-0c3d4e5f6a01", _stamp(10 * 3600))
    assert worklog.record_problem("tasks", record) is None
    assert worklog.record_problem("tasks", {**record, "updated_at": _stamp(25 * 3600)}) == \
        "updated_at: more than a day in the future"
    assert worklog.record_problem("tasks", {**record, "updated_at": "2026-02-29T00:00:00.000Z"}) == \
        "updated_at: not a calendar time"


def test_a_far_future_tombstone_deletes_nothing(profile: Any, data: Any) -> None:
    conn = profile.db.get()
    week = data.create_week("2026-W22")
    task = data.create_task(week, {"project_name": "mine"})
    _sent(conn)
    week_uuid, task_uuid = conn.execute("SELECT w.uuid, t.uuid FROM tasks_optimized t JOIN weeks w "
                                        "ON w.id = t.week_id").fetchone()
    server = ScriptedServer()
    later = "2999-01-01T00:00:00.000Z"
    server.records["weeks"] = [week_record("2026-W22", later, client_id=week_uuid, deleted_at=later)]
    server.records["tasks"] = [task_record(week_uuid, later, client_id=task_uuid, project_name="theirs")]
    result = worklog.pull(conn, server, from_start=True)
    assert result.report.deleted == result.report.updated == 0 and len(result.invalid) == 2
    assert data.get_task(task).project_name == "mine" and data.count_week_tasks(week) == 1
    data.update_task(task, {"project_name": "edited"})  # the next local version is one the server accepts
    stamp = conn.execute("SELECT updated_at FROM tasks_outbox WHERE synced_at IS NULL").fetchone()[0]
    assert stamp <= _now_plus_300()


@pytest.mark.parametrize("stored", ["9999-12-31T23:59:59.999Z", "2999-13-45T99:99:99.999Z"])
def test_a_stored_stamp_never_blocks_the_users_own_edits(profile: Any, data: Any, stored: str) -> None:
    """As in a profile that pulled such a stamp before the check: the timer's stop, a week's edit and a week's
    deletion are saved and queued with a valid stamp (julianday() of the stored value + 1 ms is NULL)."""
    conn = profile.db.get()
    week = data.create_week("2026-W49")
    task = data.create_task(week, {"project_name": "from server"})
    other = data.create_week("2026-W50")
    doomed = data.create_task(other, {"project_name": "goes with its week"})
    _sent(conn)
    conn.execute("UPDATE tasks_optimized SET sync_updated_at = ?", (stored,))  # no trigger watches this column
    conn.execute("UPDATE weeks SET sync_updated_at = ?", (stored,))
    before = data.get_task(task).duration_seconds
    data.stop_timer(task, 3600)
    assert data.get_task(task).duration_seconds == before + 3600, "the tracked hour is saved"
    data.update_week(week, notes="my notes")
    data.delete_week(other)
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized WHERE id = ?", (doomed,)).fetchone()[0] == 0
    queued = conn.execute("SELECT updated_at FROM weeks_outbox WHERE synced_at IS NULL UNION ALL "
                          "SELECT updated_at FROM tasks_outbox WHERE synced_at IS NULL").fetchall()
    assert len(queued) == 4  # the task, its week, the deleted week and its task's tombstones
    assert all(_stamp(-60) <= stamp <= _now_plus_300() for (stamp,) in queued), queued
