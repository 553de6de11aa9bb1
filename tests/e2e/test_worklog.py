"""Issue 18 end to end: two profiles (devices A and B) with two keys of one employee, the real ``wfh-ingest serve``
and PostgreSQL, the real app code (DataService writes, SyncEngine cycles, ``wfh-agent restore-from-server``)."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.sync import outbox
from tests.e2e.conftest import E2E, EMP
from tests.support.pg import connect
from tests.support.server import create_key

TASK_FIELDS = [name for name, _ in outbox.FIELDS["tasks"]]
WEEK_FIELDS = [name for name, _ in outbox.FIELDS["weeks"]]


@dataclass
class Device:
    """One computer: its profile, DataService and key."""

    name: str
    profile: Any
    data: Any
    keystore: Any
    key: str

    @property
    def conn(self) -> Any:
        return self.profile.db.get()

    def sync(self) -> Any:
        from app.sync.engine import SyncEngine

        engine = SyncEngine(self.profile.db, self.profile.settings, self.profile.paths.data_dir, self.keystore,
                            pace_seconds=0)
        result = engine.run_cycle(force_other=True)
        assert result.state == "synced", result.as_dict()
        return result

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "WFH_AGENT_API_KEY"}
        return subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(self.profile.paths.data_dir),
                               *args], env=env, capture_output=True, text=True, timeout=300)

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every live task as its contract record, by UUID (what the user sees, with its week's label)."""
        rows = self.conn.execute(
            "SELECT t.*, w.uuid AS week_uuid, w.week_label AS week_label FROM tasks_optimized t "
            "JOIN weeks w ON w.id = t.week_id WHERE t.deleted_at IS NULL").fetchall()
        keep = [f for f in TASK_FIELDS if f not in ("client_id", "week_client_id", "updated_at", "deleted_at")]
        return {r["uuid"]: {**{f: r[f] for f in keep}, "week": r["week_uuid"], "week_label": r["week_label"],
                            "updated_at": r["sync_updated_at"]} for r in rows}

    def weeks(self) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM weeks").fetchall()
        keep = [f for f in WEEK_FIELDS if f not in ("client_id", "updated_at", "deleted_at")]
        return {r["uuid"]: {**{f: r[f] for f in keep}, "updated_at": r["sync_updated_at"]} for r in rows}


def _device(e2e: E2E, folder: Path, name: str, qapp: Any, emp: int = EMP) -> Device:
    from app.profile import Profile
    from app.services.data_service import DataService
    from app.sync.keystore import KeyStore

    profile = Profile.open(folder)
    profile.settings.set("ingestion.api.base_url", e2e.server.url)
    profile.settings.save()
    key = create_key(e2e.db_url, emp, name)
    keystore = KeyStore(profile.paths.key_file, environ={}, backend=None)
    keystore.set(key)
    return Device(name, profile, DataService(profile.db), keystore, key)


@pytest.fixture
def two(e2e: E2E, tmp_path: Path, qapp: Any) -> Any:
    a = _device(e2e, tmp_path / "a", "LAPTOP-1", qapp)
    b = _device(e2e, tmp_path / "b", "DESKTOP-2", qapp)
    yield e2e, a, b
    a.profile.close()
    b.profile.close()


def _server(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connect(url) as conn:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def _history(url: str, client_id: str) -> list[tuple[Any, ...]]:
    return _server(url, "SELECT d.name, h.record->>'project_name', h.deleted_at IS NOT NULL FROM worklog_history h "
                        "JOIN devices d USING (device_id) WHERE h.client_id = %s ORDER BY h.updated_at", client_id)


def test_create_edit_move_delete_on_a_then_restore_on_empty_b(two: Any) -> None:
    e2e, a, b = two
    w1 = a.data.create_week("2026-W48", is_bonus_week=True, bonus_rate=12.5, bonus_threshold_seconds=3600,
                            notes="Sprint 48 <b>bold?</b>")
    w2 = a.data.create_week("2026-W49", week_start_day=1, week_end_hour=20)
    kept = a.data.create_task(w1, {"project_name": "Search", "attempt_id": "att-1", "duration": "00:30:00",
                                   "time_limit": "00:40:00", "score": 4, "feedback": "ok\nsecond line",
                                   "locale": "en_US", "date_audited": "2026-11-24", "bonus_paid": True,
                                   "time_begin": "2026-11-24 09:00:00", "time_end": "2026-11-24 09:30:00"})
    gone = a.data.create_task(w1, {"project_name": "Deleted later"})
    a.data.create_task(w2, {"project_name": "Other week", "score": None})
    a.sync()
    a.data.update_task(kept, {"project_name": "Search (edited)"})
    a.sync()
    a.data.update_task(kept, {"week_id": w2})  # move
    a.data.delete_task(gone)
    a.sync()
    doomed = a.data.create_week("Deleted week")
    a.data.create_task(doomed, {"project_name": "in a deleted week"})
    a.sync()
    a.data.delete_week(doomed)
    a.sync()

    restore = b.cli("restore-from-server")
    assert restore.returncode == 0, restore.stderr
    assert "read from the server: 3 weeks" in restore.stdout and "this profile now has 2 weeks and 2 tasks" \
        in restore.stdout, restore.stdout
    assert "tasks:" in restore.stderr  # progress
    assert b.tasks() == a.tasks() and b.weeks() == a.weeks(), "every visible field equal"
    assert "Deleted later" not in {t["project_name"] for t in b.tasks().values()}
    assert {r[0] for r in b.conn.execute("SELECT DISTINCT origin_device FROM tasks_optimized")} == {"LAPTOP-1"}
    assert outbox.pending_counts(b.conn, ("weeks", "tasks")) == {"weeks": 0, "tasks": 0}, "restored ≠ re-uploaded"
    kept_uuid = a.conn.execute("SELECT uuid FROM tasks_optimized WHERE id = ?", (kept,)).fetchone()[0]
    gone_uuid = a.conn.execute("SELECT uuid FROM tasks_optimized WHERE id = ?", (gone,)).fetchone()[0]
    assert [r[1] for r in _history(e2e.db_url, kept_uuid)] == ["Search", "Search (edited)", "Search (edited)"]
    assert [r[2] for r in _history(e2e.db_url, gone_uuid)] == [False, True], "history complete on the server"
    b.sync()  # nothing pending, nothing new
    assert b.tasks() == a.tasks()


def test_conflicting_offline_edits_later_wins_on_both_and_the_other_is_in_history(two: Any) -> None:
    e2e, a, b = two
    week = a.data.create_week("2026-W50")
    task = a.data.create_task(week, {"project_name": "shared", "duration": "00:10:00"})
    a.sync()
    assert b.cli("restore-from-server").returncode == 0
    task_uuid = a.conn.execute("SELECT uuid FROM tasks_optimized WHERE id = ?", (task,)).fetchone()[0]
    b_task = b.conn.execute("SELECT id FROM tasks_optimized WHERE uuid = ?", (task_uuid,)).fetchone()[0]
    a.data.update_task(task, {"project_name": "edited on A (earlier)"})  # both offline
    time.sleep(0.01)
    b.data.update_task(b_task, {"project_name": "edited on B (later)", "score": 5})
    a.sync()
    b.sync()  # uploads the later edit; A's earlier one was already in
    a.sync()  # the next sync brings B's edit to A
    assert a.data.get_task(task).project_name == b.data.get_task(b_task).project_name == "edited on B (later)"
    assert a.data.get_task(task).score == 5
    assert a.tasks() == b.tasks()
    names = [r[1] for r in _history(e2e.db_url, task_uuid)]
    assert names == ["shared", "edited on A (earlier)", "edited on B (later)"], "nothing is lost"
    assert _server(e2e.db_url, "SELECT d.name FROM worklog_tasks t JOIN devices d USING (device_id) "
                               "WHERE t.client_id = %s", task_uuid) == [("DESKTOP-2",)]
    assert a.conn.execute("SELECT origin_device FROM tasks_optimized WHERE id = ?", (task,)).fetchone()[0] \
        == "DESKTOP-2", "shown as from the other device"


def test_offline_edit_overtaken_by_a_newer_remote_edit_still_reaches_the_history(two: Any) -> None:
    e2e, a, b = two
    week = a.data.create_week("2026-W51")
    task = a.data.create_task(week, {"project_name": "v1"})
    a.sync()
    assert b.cli("restore-from-server").returncode == 0
    task_uuid = a.conn.execute("SELECT uuid FROM tasks_optimized WHERE id = ?", (task,)).fetchone()[0]
    b_task = b.conn.execute("SELECT id FROM tasks_optimized WHERE uuid = ?", (task_uuid,)).fetchone()[0]
    b.data.update_task(b_task, {"project_name": "B earlier"})
    time.sleep(0.01)
    a.data.update_task(task, {"project_name": "A later"})
    a.sync()
    b.sync()  # B uploads its older edit (a duplicate, kept in the history), then receives A's
    assert b.data.get_task(b_task).project_name == "A later"
    a.sync()
    assert a.data.get_task(task).project_name == "A later"
    assert sorted(r[1] for r in _history(e2e.db_url, task_uuid)) == ["A later", "B earlier", "v1"]


def test_same_label_other_case_on_two_devices_is_merged_not_duplicated(two: Any) -> None:
    e2e, a, b = two
    wa = a.data.create_week("2026-W52")
    a.data.create_task(wa, {"project_name": "from A"})
    wb = b.data.create_week("2026-w52")
    b.data.create_task(wb, {"project_name": "from B"})
    a.sync()
    b.sync()
    a.sync()
    b.sync()
    for device in (a, b):
        assert [w["week_label"].lower() for w in device.weeks().values()] == ["2026-w52"], device.name
        assert sorted(t["project_name"] for t in device.tasks().values()) == ["from A", "from B"], device.name
    assert set(a.weeks()) == set(b.weeks()), "both use the canonical UUID"
    assert _server(e2e.db_url, "SELECT count(*) FROM worklog_weeks") == [(1,)]
    assert _server(e2e.db_url, "SELECT count(*) FROM worklog_week_aliases") == [(1,)]


def test_task_arriving_before_its_week_is_received_once_the_week_is_there(two: Any) -> None:
    from app.sync.engine import SyncEngine

    e2e, a, b = two
    a.data.create_week("2026-W01")
    a.sync()
    assert b.cli("restore-from-server").returncode == 0
    week = a.data.create_week("2027-W02")
    a.data.create_task(week, {"project_name": "early task"})
    engine = SyncEngine(a.profile.db, a.profile.settings, a.profile.paths.data_dir, a.keystore, pace_seconds=0)
    engine.paused_until["weeks"] = time.time() + 3600  # the week waits: its task goes first
    engine.run_cycle(force_other=True)
    assert outbox.pending_counts(a.conn, ("weeks", "tasks")) == {"weeks": 1, "tasks": 0}
    b.sync()
    assert "early task" not in {t["project_name"] for t in b.tasks().values()}, "withheld until its week arrives"
    a.sync()
    b.sync()
    assert {t["project_name"] for t in b.tasks().values()} == {"early task"}
    assert a.tasks() == b.tasks()


def test_refused_cursor_is_reset_and_everything_read_again_without_duplicates(two: Any) -> None:
    from app.storage import kv

    e2e, a, b = two
    week = a.data.create_week("2026-W03")
    a.data.create_task(week, {"project_name": "t"})
    a.sync()
    assert b.cli("restore-from-server").returncode == 0
    good = kv.get(b.conn, "sync.cursor.tasks")
    assert good
    from ingestion.worklog.cursor import encode

    future = encode("tasks", 2**40)  # well formed, beyond anything this server issued (kept from another one)
    for bad in ("not-a-cursor", good[:-2] + ("AA" if good[-2:] != "AA" else "BB"),
                kv.get(b.conn, "sync.cursor.weeks"), future):  # malformed, altered, the other route's, future
        kv.put(b.conn, {"sync.cursor.tasks": bad})
        b.sync()
        assert kv.get(b.conn, "sync.cursor.tasks") is None, bad
        b.sync()
        assert kv.get(b.conn, "sync.cursor.tasks"), "read again from the beginning"
        assert b.tasks() == a.tasks()
    assert b.conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0] == 1


def test_key_of_another_employee_sees_and_changes_nothing_of_this_one(two: Any, tmp_path: Path, qapp: Any) -> None:
    e2e, a, _b = two
    week = a.data.create_week("2026-W04")
    a.data.create_task(week, {"project_name": "private"})
    a.sync()
    other = _device(e2e, tmp_path / "other", "OTHER-EMP", qapp, emp=EMP + 1)
    try:
        result = other.cli("restore-from-server")
        assert result.returncode == 0, result.stderr
        assert "this profile now has 0 weeks and 0 tasks" in result.stdout
        task = dict(zip(TASK_FIELDS, [None] * len(TASK_FIELDS), strict=True))
        task.update(client_id=str(uuid.uuid4()), week_client_id=str(uuid.uuid4()), duration_seconds=1,
                    time_limit_seconds=0, bonus_paid=False, created_at="x", updated_at="2026-11-24T10:00:00.000Z",
                    emp_id=EMP)
        answer = httpx.post(f"{e2e.server.url}/api/v1/ingest/tasks", json={"records": [task]},
                            headers={"X-Api-Key": other.key})
        assert answer.status_code == 403
        assert _server(e2e.db_url, "SELECT count(*) FROM worklog_tasks WHERE emp_id = %s", EMP + 1) == [(0,)]
    finally:
        other.profile.close()


def _dump(conn: Any) -> str:
    return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()


def test_restore_without_merge_into_a_profile_with_data_is_refused_and_changes_nothing(two: Any) -> None:
    e2e, a, b = two
    week = a.data.create_week("2026-W05")
    a.data.create_task(week, {"project_name": "server copy"})
    a.sync()
    mine = b.data.create_week("Local week")
    b.data.create_task(mine, {"project_name": "local only"})
    before = _dump(b.conn)
    refused = b.cli("restore-from-server")
    assert refused.returncode == 2
    assert "--merge" in refused.stderr and "nothing was changed" in refused.stderr, refused.stderr
    assert _dump(b.conn) == before
    merged = b.cli("restore-from-server", "--merge", "--json")
    assert merged.returncode == 0, merged.stderr
    assert sorted(t["project_name"] for t in b.tasks().values()) == ["local only", "server copy"]


def test_merge_lists_conflicts_and_keeps_the_newer_version(two: Any) -> None:
    import json

    e2e, a, b = two
    week = a.data.create_week("2026-W06")
    task = a.data.create_task(week, {"project_name": "v1"})
    a.sync()
    assert b.cli("restore-from-server").returncode == 0
    task_uuid = a.conn.execute("SELECT uuid FROM tasks_optimized WHERE id = ?", (task,)).fetchone()[0]
    b_task = b.conn.execute("SELECT id FROM tasks_optimized WHERE uuid = ?", (task_uuid,)).fetchone()[0]
    a.data.update_task(task, {"project_name": "A older"})
    a.sync()
    time.sleep(0.01)
    b.data.update_task(b_task, {"project_name": "B newer, not sent yet"})
    merged = b.cli("restore-from-server", "--merge", "--json")
    assert merged.returncode == 0, merged.stderr
    report = json.loads(merged.stdout)
    assert report["kept_local"] == 1 and len(report["conflicts"]) == 1 and task_uuid in report["conflicts"][0]
    assert b.data.get_task(b_task).project_name == "B newer, not sent yet"


KILLS = 20


def test_kill_9_during_worklog_sync_repeatedly(two: Any) -> None:
    e2e, a, _b = two
    a.profile.settings.set("ingestion.batch_size", 40)
    a.profile.settings.save()
    rng = random.Random(18)
    weeks = [a.data.create_week(f"2026-W{n:02d}") for n in range(10, 14)]
    a.data.create_tasks(weeks[0], [{"project_name": f"bulk {i}"} for i in range(1500)])
    killed = 0
    for _ in range(KILLS):
        ids = [r[0] for r in a.conn.execute("SELECT id FROM tasks_optimized WHERE deleted_at IS NULL")]
        for task_id in rng.sample(ids, 5):  # edits, moves and deletes go on between runs
            choice = rng.random()
            if choice < 0.5:
                a.data.update_task(task_id, {"project_name": f"edit {rng.randrange(10**6)}"})
            elif choice < 0.8:
                a.data.update_task(task_id, {"week_id": rng.choice(weeks)})
            else:
                a.data.delete_task(task_id)
        a.data.create_task(rng.choice(weeks), {"project_name": "new"})
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "--data-dir", str(a.profile.paths.data_dir),
                                 "sync", "--once"], env={k: v for k, v in os.environ.items()
                                                         if k != "WFH_AGENT_API_KEY"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # kill once the server has taken some of this run's versions (mid-upload), or after a random while
        target = _server(e2e.db_url, "SELECT count(*) FROM worklog_history")[0][0] + rng.randint(1, 80)
        deadline = time.monotonic() + rng.uniform(1.0, 6.0)
        while proc.poll() is None and time.monotonic() < deadline \
                and _server(e2e.db_url, "SELECT count(*) FROM worklog_history")[0][0] < target:
            time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(10)
    assert killed >= KILLS // 2, f"only {killed} runs were killed before they ended"
    assert _server(e2e.db_url, "SELECT count(*) > 0 FROM worklog_tasks") == [(True,)], "killed while sending"
    final = a.cli("sync", "--once")
    assert final.returncode == 0, final.stderr
    local = {r[0]: (r[1], r[2] is not None) for r in a.conn.execute(
        "SELECT uuid, sync_updated_at, deleted_at FROM tasks_optimized")}
    remote = _server(e2e.db_url, "SELECT client_id::text, to_char(updated_at AT TIME ZONE 'UTC', "
                                 "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), deleted_at IS NOT NULL FROM worklog_tasks")
    assert len(remote) == len({r[0] for r in remote}), "no duplicates"
    assert {r[0]: (r[1], r[2]) for r in remote} == local, "server set equals local set, each at its newest version"
    assert a.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
