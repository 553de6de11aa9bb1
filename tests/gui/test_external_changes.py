"""Two processes on one profile: the task CLI writes, the open window follows within a second."""

from __future__ import annotations

import json
import sqlite3
import time

from app.domain.changes import Changes
from tests.gui.conftest import make_week
from tests.test_cli import run_cli

WITHIN_MS = 2000  # the poll runs every 0.5 s; generous for a loaded 2-core machine


def _cli(context, *args: str):
    result = run_cli("--data-dir", str(context.profile.paths.data_dir), "task", *args)
    assert result.returncode == 0, result.stderr
    return result


def test_cli_add_appears_in_the_open_window(shell, window, context, qtbot):
    week_id = make_week(context, "2026-W48")
    window.weeks.select_week(week_id)
    assert window.tasks.model.rowCount() == 0
    _cli(context, "add", "--week", "2026-w48", "--project", "FromCli", "--duration", "1:30")
    seen = time.monotonic()
    qtbot.waitUntil(lambda: window.tasks.model.rowCount() == 1, timeout=WITHIN_MS)
    latency = time.monotonic() - seen
    assert window.tasks.model.task_at(0).project_name == "FromCli"
    row = window.weeks.model.row_of(week_id)
    assert window.weeks.model.week_at(row).total_duration_seconds == 5400
    assert latency < WITHIN_MS / 1000


def test_cli_timer_start_and_stop_are_followed_by_the_window(shell, window, context, qtbot):
    week_id = make_week(context, "W1")
    task_id = context.data.create_task(week_id, {"project_name": "Shared", "duration": "10m"})
    _cli(context, "start", str(task_id))
    qtbot.waitUntil(lambda: shell.timer.running_task_id == task_id, timeout=WITHIN_MS)
    assert "Shared" in window.timer_label.text()
    _cli(context, "stop")
    qtbot.waitUntil(lambda: not shell.timer.is_running(), timeout=WITHIN_MS)
    stops = context.profile.db.get().execute(
        "SELECT COUNT(*) FROM task_events WHERE task_id = ? AND event_type = 'timer_stop'", (task_id,)).fetchone()[0]
    assert stops == 1  # the CLI added the time; the window did not add it again


def test_window_stop_after_cli_stop_adds_nothing_twice(shell, context, clock):
    week_id = make_week(context, "W1")
    task_id = context.data.create_task(week_id, {"duration": "0"})
    shell.timer.start(task_id)
    clock.advance(120)
    listing = json.loads(_cli(context, "list", "--week", "W1", "--json").stdout)
    assert listing["tasks"][0]["timer_running"] is True
    _cli(context, "stop")
    after_cli = context.data.get_task(task_id).duration_seconds
    assert after_cli >= 120  # the CLI added the run's time (saved count plus the gap since last seen)
    assert shell.timer.stop() == 0  # before the poll noticed: the CLI had taken the timer, nothing is added
    assert context.data.get_task(task_id).duration_seconds == after_cli
    stops = context.profile.db.get().execute(
        "SELECT COUNT(*) FROM task_events WHERE task_id = ? AND event_type = 'timer_stop'", (task_id,)).fetchone()[0]
    assert stops == 1


def test_own_and_non_task_writes_do_not_reload(shell, context, qtbot):
    week_id = make_week(context, "W1")
    context.data.create_task(week_id, {"duration": "5m"})
    bulk: list[Changes] = []
    context.data.changed.connect(lambda c: bulk.append(c) if c.bulk else None)
    other = sqlite3.connect(context.profile.paths.db_path)
    other.execute("INSERT INTO settings (key, value) VALUES ('test.other', 'x')")  # like the monitor's writes
    other.commit()
    other.close()
    assert shell.external.poll() is False
    context.data.create_task(week_id, {"duration": "5m"})
    assert shell.external.poll() is False
    assert bulk == []


def test_cli_is_not_refused_while_the_window_holds_the_profile(qapp, data_dir):
    from app.paths import resolve_paths
    from app.single_instance import SingleInstance

    owner = SingleInstance(resolve_paths(data_dir))
    assert owner.acquire()  # what a running window holds
    try:
        result = run_cli("--data-dir", str(data_dir), "task", "add", "--project", "WhileOpen", "--duration", "5m")
        assert result.returncode == 0, result.stderr
        assert "WhileOpen, 5 min" in result.stdout
    finally:
        owner.release()
