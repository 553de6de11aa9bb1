"""Timer on a task with an injected clock: events, ticks, time-limit warning, crash recovery."""

from __future__ import annotations

from app.storage.timer_store import RunningTimer, TimerStore
from app.ui.shell import Shell
from app.ui.tasks.columns import COLUMN_INDEX
from app.ui.tasks.model import OVER_LIMIT_COLOUR
from tests.gui.conftest import make_week


def _events(context, task_id):
    return [tuple(r) for r in context.profile.db.get().execute(
        "SELECT event_type, duration_change, user_action FROM task_events WHERE task_id = ? ORDER BY id", (task_id,))]


def test_start_stop_adds_elapsed_time_and_logs_events(window, context, clock, qtbot, shell):
    week_id = make_week(context, "W1", tasks=2)
    window.weeks.select_week(week_id)
    task = window.tasks.model.task_at(0)
    window.tasks.select_task(task.id)
    window.tasks.timer_button.click()
    assert shell.timer.running_task_id == task.id
    assert window.tasks.timer_button.text() == "Stop timer"
    clock.advance(95)
    with qtbot.waitSignal(shell.timer.timerTicked):
        shell.timer.tick()
    shown = window.tasks.model.index(0, COLUMN_INDEX["duration"]).data()
    assert shown.startswith("▶ ")
    assert "00:01:35" in window.timer_label.text()
    with qtbot.waitSignal(shell.timer.timerStopped) as stopped:
        window.tasks.timer_button.click()
    assert stopped.args == [task.id, 95]
    assert context.data.get_task(task.id).duration_seconds == task.duration_seconds + 95
    events = _events(context, task.id)
    assert events[-2][0] == "timer_start"
    assert events[-1] == ("timer_stop", 95, "timer")
    assert TimerStore(context.profile.db).load() is None
    assert window.timer_label.text() == ""


def test_only_one_timer_runs(window, context, clock, shell):
    week_id = make_week(context, "W1", tasks=2)
    window.weeks.select_week(week_id)
    first, second = (window.tasks.model.task_at(i).id for i in range(2))
    shell.timer.start(first)
    clock.advance(30)
    shell.timer.start(second)
    assert shell.timer.running_task_id == second
    assert context.data.get_task(first).duration_seconds == window.tasks.model.task_at(0).duration_seconds


def test_time_limit_warning_colours_row_and_status_bar(window, context, clock, qtbot, shell):
    week_id = make_week(context, "W1")
    task_id = context.data.create_task(week_id, {"project_name": "Limit", "duration": "00:09:00",
                                                 "time_limit": "00:10:00"})
    window.weeks.select_week(week_id)
    shell.timer.start(task_id)
    clock.advance(59)
    shell.timer.tick()
    assert window.tasks.model.index(0, 0).data(role=8) is None  # BackgroundRole: not over yet
    clock.advance(2)
    with qtbot.waitSignal(shell.timer.timeLimitExceeded):
        shell.timer.tick()
    assert window.tasks.model.index(0, 0).data(role=8) == OVER_LIMIT_COLOUR
    assert "time limit" in window.statusBar().currentMessage()
    assert window.timer_label.text().startswith("⚠")


def test_running_timer_is_saved_every_few_seconds(window, context, clock, shell):
    week_id = make_week(context, "W1", tasks=1)
    task_id = context.data.get_week_tasks(week_id)[0].id
    shell.timer.start(task_id)
    store = TimerStore(context.profile.db)
    first = store.load()
    assert first is not None and first.elapsed_seconds == 0
    for _ in range(7):
        clock.advance(1)
        shell.timer.tick()
    saved = store.load()
    assert saved is not None
    assert saved.task_id == task_id and saved.elapsed_seconds == 5


def _crashed_timer(context, clock, elapsed=600):
    week_id = make_week(context, "W1", tasks=1)
    task = context.data.get_week_tasks(week_id)[0]
    TimerStore(context.profile.db).save(RunningTimer(task.id, "2026-11-26T08:50:00Z", "2026-11-26T09:00:00Z", elapsed))
    clock.advance(300)  # the app restarts five minutes after it was last seen
    return task


def test_crash_recovery_stop_at_last_known_time(qtbot, context, clock, answers):
    task = _crashed_timer(context, clock)
    shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    qtbot.addWidget(shell.window)
    dialog = shell.menu_bar.offer_timer_recovery()
    assert dialog is not None and dialog.isVisible()
    assert "00:10:00" in dialog.stop_button.text()
    assert "00:15:00" in dialog.resume_button.text()
    dialog.stop_button.click()
    assert context.data.get_task(task.id).duration_seconds == task.duration_seconds + 600
    assert TimerStore(context.profile.db).load() is None
    assert shell.menu_bar.offer_timer_recovery() is None


def test_crash_recovery_resume_counts_the_gap(qtbot, context, clock, answers):
    task = _crashed_timer(context, clock)
    shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    qtbot.addWidget(shell.window)
    dialog = shell.menu_bar.offer_timer_recovery()
    assert dialog is not None
    dialog.resume_button.click()
    assert shell.timer.running_task_id == task.id
    clock.advance(60)
    assert shell.timer.stop() == 900 + 60
    assert context.data.get_task(task.id).duration_seconds == task.duration_seconds + 960


def test_crash_recovery_discard_adds_nothing(qtbot, context, clock, answers):
    task = _crashed_timer(context, clock)
    shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    qtbot.addWidget(shell.window)
    dialog = shell.menu_bar.offer_timer_recovery()
    assert dialog is not None
    dialog.discard_button.click()
    assert context.data.get_task(task.id).duration_seconds == task.duration_seconds
    assert TimerStore(context.profile.db).load() is None
    assert not shell.timer.is_running()


def test_statistics_update_after_an_edit(window, context, qtbot):
    week_id = make_week(context, "W1", tasks=3)
    window.weeks.select_week(week_id)
    before = window.statistics.values["total"].text()
    task = window.tasks.model.task_at(0)
    window.tasks.select_task(task.id)
    dialog = window.tasks.open_edit_dialog()
    dialog.fields["duration"].setText("10:00:00")
    dialog.fields["score"].setText("100")
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.weeks_updated)):
        dialog.save_button.click()
    analytics = context.data.get_week_analytics(week_id)
    assert window.statistics.values["total"].text() != before
    assert window.statistics.values["total"].text() == f"{analytics.total_duration_seconds // 3600:02d}:" \
        f"{analytics.total_duration_seconds % 3600 // 60:02d}:{analytics.total_duration_seconds % 60:02d}"
    assert window.statistics.values["avg_score"].text() == f"{analytics.avg_score:.1f}"
    assert window.statistics.project_model.rowCount() == 3
    assert window.statistics.chart.rows[0][0] == task.project_name == window.statistics.chart.bars[0].label


def test_a_timer_whose_first_save_failed_still_adds_its_time(shell, context, clock, monkeypatch):
    """A full disk at start leaves nothing in the shared store; stopping must not take that for "stopped elsewhere"."""
    week_id = make_week(context, "W1")
    task_id = context.data.create_task(week_id, {"duration": "0"})
    monkeypatch.setattr(shell.timer._store, "save", lambda _timer: False)
    shell.timer.start(task_id)
    clock.advance(90)
    assert shell.timer.stop() == 90
    assert context.data.get_task(task_id).duration_seconds == 90
