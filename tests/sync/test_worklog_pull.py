"""Issue 18, receiving side against a scripted server: paging by cursor, the newer-wins rules, tombstones,
weeks matched by alias or label, and received records never queued for upload again. The same code runs
against the real server in tests/e2e/test_worklog.py."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from app.storage.worklog_apply import cursor_key
from app.sync import outbox, worklog
from app.sync.client import Outcome

HEADERS = {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"}


def later() -> str:
    """A sync clock a minute from now: newer than any local version, within the 300 s a pull accepts."""
    moment = datetime.fromtimestamp(time.time() + 60, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def week_record(label: str, updated_at: str, **over: Any) -> dict[str, Any]:
    record = {"client_id": str(uuid.uuid4()), "aliases": [], "week_label": label, "start_date": None,
              "week_start_day": 0, "week_start_hour": 0, "week_end_day": 6, "week_end_hour": 23,
              "is_custom_duration": False, "is_bonus_week": False, "bonus_rate": 0.0, "bonus_threshold_seconds": 0,
              "notes": "", "created_at": "2026-11-23 08:00:00", "updated_at": updated_at, "deleted_at": None,
              "device": "DESKTOP-2"}
    record.update(over)
    return record


def task_record(week: str, updated_at: str, **over: Any) -> dict[str, Any]:
    record = {"client_id": str(uuid.uuid4()), "week_client_id": week, "attempt_id": None, "project_id": None,
              "project_name": "Remote", "operation_id": None, "feedback": None, "locale": None,
              "duration_seconds": 600, "time_limit_seconds": 0, "date_audited": None, "time_begin": None,
              "time_end": None, "score": None, "bonus_paid": False, "created_at": "2026-11-23 09:00:00",
              "updated_at": updated_at, "deleted_at": None, "device": "DESKTOP-2"}
    record.update(over)
    return record


class ScriptedServer:
    """Pages ``records[stream]`` by position; the cursor is ``"c<position>"``. ``calls`` logs each request."""

    def __init__(self) -> None:
        self.records: dict[str, list[dict[str, Any]]] = {"weeks": [], "tasks": []}
        self.calls: list[tuple[str, str | None, int]] = []
        self.answer: Outcome | None = None

    def __call__(self, stream: str, since: str | None, limit: int) -> Outcome:
        self.calls.append((stream, since, limit))
        if self.answer is not None:
            return self.answer
        items = self.records[stream]
        if since is not None and (not since.startswith("c") or int(since[1:]) > len(items)):
            return Outcome(400, dict(HEADERS), {"error": "invalid_cursor"})
        start = 0 if since is None else int(since[1:])
        page = items[start:start + limit]
        cursor = f"c{start + len(page)}" if page or since is not None else None
        return Outcome(200, dict(HEADERS), {"records": page, "next_since": cursor})


@pytest.fixture
def data(profile: Any, qapp: Any) -> Any:
    from app.services.data_service import DataService

    return DataService(profile.db)


def _pending(conn: Any) -> dict[str, int]:
    return outbox.pending_counts(conn, ("weeks", "tasks"))


def _sent(conn: Any) -> None:
    for stream in ("weeks", "tasks"):
        outbox.commit_batch(conn, stream, outbox.fetch_batch(conn, stream, 1000), {}, 200)


def test_pages_until_a_short_page_apply_and_are_not_queued_again(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    weeks = [week_record(f"2026-W{n:02d}", f"2026-11-2{n % 10}T10:00:00.000Z") for n in range(1, 4)]
    server.records["weeks"] = weeks
    server.records["tasks"] = [task_record(weeks[i % 3]["client_id"], "2026-11-24T10:00:00.000Z",
                                           project_name=f"T{i}", score=i) for i in range(5)]
    result = worklog.pull(conn, server, limit=2, from_start=True)
    assert [c[1] for c in server.calls] == [None, "c2", None, "c2", "c4"]
    assert result.received == {"weeks": 3, "tasks": 5} and result.report.created == 8
    assert _pending(conn) == {"weeks": 0, "tasks": 0}, "a received version is not sent back"
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized WHERE origin_device = 'DESKTOP-2'").fetchone()[0] == 5
    assert conn.execute("SELECT score, duration_display FROM tasks_optimized WHERE project_name = 'T3'").fetchone()[:] \
        == (3, "00:10:00")
    assert conn.execute("SELECT total_tasks FROM week_statistics s JOIN weeks w ON w.id = s.week_id "
                        "WHERE w.uuid = ?", (weeks[0]["client_id"],)).fetchone()[0] == 2
    assert (conn.execute("SELECT value FROM settings WHERE key = ?", (cursor_key("tasks"),)).fetchone()[0]) == "c5"
    server.calls.clear()
    again = worklog.pull(conn, server, limit=2)
    assert [c[1] for c in server.calls] == ["c3", "c5"], "the next sync starts at the saved cursors"
    assert again.report.changed == 0


def test_newer_wins_older_loses_and_is_listed_ties_follow_the_server(profile: Any, data: Any) -> None:
    conn = profile.db.get()
    week = data.create_week("2026-W20")
    mine = data.create_task(week, {"project_name": "mine"})
    _sent(conn)
    week_uuid, task_uuid, local_at = conn.execute(
        "SELECT w.uuid, t.uuid, t.sync_updated_at FROM tasks_optimized t JOIN weeks w ON w.id = t.week_id").fetchone()
    server = ScriptedServer()
    server.records["tasks"] = [task_record(week_uuid, "2020-01-01T00:00:00.000Z", client_id=task_uuid,
                                           project_name="older")]
    start_date = conn.execute("SELECT start_date FROM weeks WHERE uuid = ?", (week_uuid,)).fetchone()[0]
    server.records["weeks"] = [week_record("2026-W20", "2020-01-01T00:00:00.000Z", client_id=week_uuid,
                                           start_date=start_date)]   # the same week: only the task differs
    result = worklog.pull(conn, server, from_start=True)
    assert data.get_task(mine).project_name == "mine"
    assert result.report.kept_local == 1 and "this device's version is newer" in result.report.conflicts[0]
    server.records["tasks"] = [task_record(week_uuid, local_at, client_id=task_uuid, project_name="tie")]
    worklog.pull(conn, server, from_start=True)
    assert data.get_task(mine).project_name == "tie", "an equal updated_at: the server already chose"
    server.records["tasks"] = [task_record(week_uuid, later(), client_id=task_uuid,
                                           project_name="newer", week_client_id=week_uuid)]
    worklog.pull(conn, server, from_start=True)
    assert data.get_task(mine).project_name == "newer"
    assert _pending(conn)["tasks"] == 0


def test_unsent_local_version_overwritten_by_a_newer_one_still_goes_out(profile: Any, data: Any) -> None:
    conn = profile.db.get()
    week = data.create_week("2026-W21")
    task = data.create_task(week, {"project_name": "v1"})
    _sent(conn)
    data.update_task(task, {"project_name": "offline edit"})
    week_uuid, task_uuid = conn.execute("SELECT w.uuid, t.uuid FROM tasks_optimized t JOIN weeks w "
                                        "ON w.id = t.week_id").fetchone()
    server = ScriptedServer()
    server.records["tasks"] = [task_record(week_uuid, later(), client_id=task_uuid,
                                           project_name="their later edit")]
    result = worklog.pull(conn, server, from_start=True)
    assert data.get_task(task).project_name == "their later edit"
    assert "replaced by DESKTOP-2's newer version" in result.report.conflicts[0]
    queued = [row.record for row in outbox.fetch_batch(conn, "tasks", 10)]
    assert [r["project_name"] for r in queued] == ["offline edit"], "the losing version still reaches the history"


def test_tombstones_delete_tasks_and_weeks_without_queueing(profile: Any, data: Any) -> None:
    conn = profile.db.get()
    week = data.create_week("2026-W22")
    tasks = [data.create_task(week, {"project_name": f"P{i}"}) for i in range(2)]
    _sent(conn)
    rows = conn.execute("SELECT t.uuid, w.uuid FROM tasks_optimized t JOIN weeks w ON w.id = t.week_id "
                        "ORDER BY t.id").fetchall()
    server = ScriptedServer()
    stamp = later()
    server.records["tasks"] = [task_record(rows[0][1], stamp, client_id=rows[0][0], deleted_at=stamp)]
    worklog.pull(conn, server, from_start=True)
    assert data.count_week_tasks(week) == 1
    assert _pending(conn) == {"weeks": 0, "tasks": 0}
    server.records["tasks"] = []
    server.records["weeks"] = [week_record("2026-W22", stamp, client_id=rows[0][1], deleted_at=stamp)]
    result = worklog.pull(conn, server, from_start=True)
    assert result.report.deleted == 1
    assert conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized WHERE id = ?", (tasks[1],)).fetchone()[0] == 0
    assert _pending(conn) == {"weeks": 0, "tasks": 0}


def test_week_of_another_device_matched_by_label_any_case_adopts_the_canonical_uuid(profile: Any,
                                                                                     data: Any) -> None:
    conn = profile.db.get()
    week = data.create_week("2026-w23")
    data.create_task(week, {"project_name": "local"})
    server = ScriptedServer()
    canonical = week_record("2026-W23", "2020-01-01T00:00:00.000Z")
    server.records["weeks"] = [canonical]
    server.records["tasks"] = [task_record(canonical["client_id"], "2026-11-24T10:00:00.000Z")]
    worklog.pull(conn, server, from_start=True)
    assert conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 1, "merged, not duplicated"
    assert conn.execute("SELECT uuid FROM weeks").fetchone()[0] == canonical["client_id"]
    assert data.count_week_tasks(week) == 2
    queued = [row.record for row in outbox.fetch_batch(conn, "tasks", 10)]
    assert [r["week_client_id"] for r in queued] == [canonical["client_id"]]


def test_week_found_by_alias(profile: Any, data: Any) -> None:
    conn = profile.db.get()
    week = data.create_week("Sprint 4")
    local_uuid = conn.execute("SELECT uuid FROM weeks").fetchone()[0]
    server = ScriptedServer()
    server.records["weeks"] = [week_record("Sprint 4 (renamed)", later(), aliases=[local_uuid])]
    worklog.pull(conn, server, from_start=True)
    assert data.get_week_data(week).week_label == "Sprint 4 (renamed)"


@pytest.mark.parametrize(("field", "value"), [
    ("client_id", "not-a-uuid"), ("week_client_id", 7), ("project_name", "a\x00b"), ("duration_seconds", True),
    ("duration_seconds", -1), ("score", 2**31), ("updated_at", "2026-11-24 10:00:00"), ("bonus_paid", "yes"),
    ("feedback", "x" * 10_001), ("time_begin", "y" * 41), ("device", ["x"]), ("device", "DESK\x1b[2J"),
    ("client_id", str(uuid.uuid4()) + "\n"), ("updated_at", "\u0662026-11-24T10:00:00.000Z"),
])
def test_bad_received_record_is_skipped_and_named_the_rest_applies(profile: Any, field: str, value: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    week = week_record("2026-W30", "2026-11-24T10:00:00.000Z")
    server.records["weeks"] = [week]
    bad = task_record(week["client_id"], "2026-11-24T10:00:00.000Z", project_name="bad")
    bad[field] = value
    server.records["tasks"] = [bad, task_record(week["client_id"], "2026-11-24T10:00:00.000Z", project_name="ok")]
    result = worklog.pull(conn, server, from_start=True)
    assert len(result.invalid) == 1 and result.invalid[0].startswith(f"tasks record 1: {field}: "), result.invalid
    names = [r[0] for r in conn.execute("SELECT project_name FROM tasks_optimized")]
    assert names == ["ok"]
    assert conn.execute("SELECT value FROM settings WHERE key = ?", (cursor_key("tasks"),)).fetchone()[0] == "c2"


def test_bad_week_label_from_server_is_skipped(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    server.records["weeks"] = [week_record("evil\x07label", "2026-11-24T10:00:00.000Z"),
                               week_record("   ", "2026-11-24T10:00:00.000Z")]
    result = worklog.pull(conn, server, from_start=True)
    assert len(result.invalid) == 2 and conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 0


def test_refused_cursor_is_dropped_and_the_stream_read_again_next_time(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    server.records["weeks"] = [week_record("2026-W31", "2026-11-24T10:00:00.000Z")]
    conn.execute("INSERT INTO settings(key, value) VALUES (?, 'c999')", (cursor_key("weeks"),))
    first = worklog.pull(conn, server)
    assert first.reset == ["weeks"] and first.report.changed == 0, "nothing local changes now"
    assert conn.execute("SELECT COUNT(*) FROM settings WHERE key = ?", (cursor_key("weeks"),)).fetchone()[0] == 0
    server.calls.clear()
    again = worklog.pull(conn, server)
    assert server.calls[0][1] is None and again.received["weeks"] == 1


def test_answer_that_is_not_a_page_raises_and_applies_nothing(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    server.answer = Outcome(200, {"Content-Type": "text/html"}, None, raw=b"<html>portal</html>")
    with pytest.raises(worklog.PullError):
        worklog.pull(conn, server)
    server.answer = Outcome(200, dict(HEADERS), {"records": [{}] * 3, "next_since": None})
    with pytest.raises(worklog.PullError):
        worklog.pull(conn, server, limit=2)
    assert conn.execute("SELECT COUNT(*) FROM settings WHERE key LIKE 'sync.cursor.%'").fetchone()[0] == 0


def test_same_task_twice_in_one_page_ends_at_its_newer_version(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    week = week_record("2026-W32", "2026-11-24T10:00:00.000Z")
    server.records["weeks"] = [week]
    first = task_record(week["client_id"], "2026-11-24T10:00:00.000Z", project_name="first")
    second = dict(first, project_name="second", updated_at="2026-11-24T11:00:00.000Z")
    server.records["tasks"] = [first, second]
    worklog.pull(conn, server, from_start=True)
    assert [r[0] for r in conn.execute("SELECT project_name FROM tasks_optimized")] == ["second"]


def test_restore_prefetches_pages_in_order_and_a_failed_page_applies_nothing(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    week = week_record("2026-W33", "2026-11-24T10:00:00.000Z")
    server.records["weeks"] = [week]
    server.records["tasks"] = [task_record(week["client_id"], "2026-11-24T10:00:00.000Z", project_name=f"T{i}")
                               for i in range(7)]
    result = worklog.pull(conn, server, limit=2, from_start=True, prefetch=True)
    assert result.received == {"weeks": 1, "tasks": 7}
    assert [c[1] for c in server.calls if c[0] == "tasks"] == [None, "c2", "c4", "c6"]
    failing = ScriptedServer()
    failing.records = server.records
    original = failing.__call__

    def broken(stream: str, since: str | None, limit: int) -> Outcome:
        if stream == "tasks" and since == "c4":
            return Outcome(503, dict(HEADERS), {"error": "unavailable"})
        return original(stream, since, limit)

    other = profile.db.get()
    other.execute("DELETE FROM tasks_optimized")
    other.execute("DELETE FROM settings WHERE key LIKE 'sync.cursor.%'")
    with pytest.raises(worklog.PullError):
        worklog.pull(conn, broken, limit=2, from_start=True, prefetch=True)
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0] == 4
    assert conn.execute("SELECT value FROM settings WHERE key = ?", (cursor_key("tasks"),)).fetchone()[0] == "c4"
