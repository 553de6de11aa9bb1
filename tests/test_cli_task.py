"""``wfh-agent task …`` as a user runs it: real subprocesses on a real profile folder."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from app.domain.weeks import iso_week_label
from tests.test_cli import run_cli


def task(data_dir: Path, *args: str):
    return run_cli("--data-dir", str(data_dir), "task", *args)


def test_add_list_edit_delete_with_toggl_durations(tmp_path: Path) -> None:
    added = task(tmp_path, "add", "--project", "Atlas", "--duration", "1:30", "--score", "80", "--json")
    assert added.returncode == 0, added.stderr
    first = json.loads(added.stdout)
    assert (first["duration_seconds"], first["score"]) == (5400, 80)
    assert first["created_at"].endswith("Z") and "T" in first["created_at"]
    second = task(tmp_path, "add", "--week", iso_week_label(date.today()).lower(), "--project", "Borealis",
                  "--duration", "1.5h", "--begin", "2026-11-26T09:00", "--end", "2026-11-26T10:30")
    assert second.returncode == 0, second.stderr
    assert "Borealis, 1 h 30 min" in second.stdout
    listing = json.loads(task(tmp_path, "list", "--json").stdout)
    assert listing["week"]["week_label"] == iso_week_label(date.today())
    assert listing["total_duration_seconds"] == 10800
    assert sorted(t["project_name"] for t in listing["tasks"]) == ["Atlas", "Borealis"]
    edited = task(tmp_path, "edit", str(first["id"]), "--score", "", "--duration", "45m", "--json")
    assert edited.returncode == 0, edited.stderr
    assert (json.loads(edited.stdout)["score"], json.loads(edited.stdout)["duration_seconds"]) == (None, 2700)
    assert task(tmp_path, "delete", str(first["id"])).returncode == 0
    text = task(tmp_path, "list").stdout
    assert "1 task, 1 h 30 min" in text and "Atlas" not in text


def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    cases = [
        (("add", "--duration", "soon"), "duration: not a duration"),
        (("add", "--duration=-5m"), "negative"),
        (("add", "--score", "150"), "score: must be between 0 and 100"),
        (("add", "--week", "nope"), "no week called 'nope'"),
        (("add", "--begin", "2026-11-26T10:00", "--end", "2026-11-26T09:00"), "before the beginning"),
        (("edit", "999", "--score", "5"), "task 999 does not exist"),
        (("stop",), "no timer is running"),
        (("start", "12345"), "task 12345 does not exist"),
    ]
    for args, message in cases:
        result = task(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
    conn = sqlite3.connect(tmp_path / "wfh_agent.db")
    assert conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0] == 0


def test_start_stop_share_the_saved_timer_and_log_events(tmp_path: Path) -> None:
    one = json.loads(task(tmp_path, "add", "--project", "A", "--json").stdout)["id"]
    two = json.loads(task(tmp_path, "add", "--project", "B", "--json").stdout)["id"]
    assert task(tmp_path, "start", str(one)).returncode == 0
    conn = sqlite3.connect(tmp_path / "wfh_agent.db")
    saved = json.loads(conn.execute("SELECT value FROM settings WHERE key = 'timer.running'").fetchone()[0])
    assert (saved["task_id"], saved["source"]) == (one, "cli")
    switched = task(tmp_path, "start", str(two))
    assert f"stopped task {one}" in switched.stdout and f"timer started on task {two}" in switched.stdout
    listing = json.loads(task(tmp_path, "list", "--json").stdout)
    assert {t["id"]: t["timer_running"] for t in listing["tasks"]} == {one: False, two: True}
    stopped = task(tmp_path, "stop")
    assert stopped.returncode == 0 and f"timer stopped on task {two}" in stopped.stdout
    assert conn.execute("SELECT value FROM settings WHERE key = 'timer.running'").fetchone() is None
    events = [r[0] for r in conn.execute("SELECT event_type FROM task_events WHERE task_id IN (?, ?) ORDER BY id",
                                         (one, two))]
    assert events == ["task_created", "task_created", "timer_start", "timer_stop", "timer_start", "timer_stop"]


def test_terminal_control_characters_in_device_data_are_escaped(tmp_path: Path) -> None:
    assert task(tmp_path, "add", "--project", "evil\x1b]0;pwned\x07name").returncode == 0
    text = task(tmp_path, "list").stdout
    assert "\x1b" not in text and "\x07" not in text and "evil\\x1b]0;pwned\\x07name" in text
    data = json.loads(task(tmp_path, "list", "--json").stdout)
    assert data["tasks"][0]["project_name"] == "evil\x1b]0;pwned\x07name"  # JSON keeps the exact value


def test_data_dir_also_after_the_action(tmp_path: Path) -> None:
    result = run_cli("task", "add", "--project", "Late", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wfh_agent.db").exists()
