"""Weeks with dates, Move to week…, Undo (Ctrl+Z), the live week total, Esc and the new shortcuts, the tray's
"Start timer on" menu."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from app.domain.weeks import iso_week_label, monday_of
from app.ui.shell import Shell
from app.ui.tasks.columns import COLUMN_INDEX
from tests.gui.conftest import make_week


def _labels(window) -> list[str]:
    model = window.weeks.model
    return [model.data(model.index(row, 0)) for row in range(model.rowCount())]


def test_week_list_is_chronological_dated_and_has_tooltips(window, context):
    for label in ("Imported tasks", "2025-W11", "2026-W48", "2025-W10", "A very long label " * 8):
        make_week(context, label)
    labels = _labels(window)
    assert labels[:3] == ["2026-W48 · Nov 23–29", "2025-W11 · Mar 10–16", "2025-W10 · Mar 3–9"]
    assert set(labels[3:]) == {"Imported tasks", ("A very long label " * 8).strip()}
    model = window.weeks.model
    assert model.data(model.index(3, 0), Qt.ItemDataRole.ToolTipRole) == labels[3]


def test_new_week_defaults_to_this_iso_week_and_refuses_a_case_twin(window, context, qtbot):
    dialog = window.weeks.open_new_dialog()
    monday = monday_of(date.today())
    assert dialog.label_edit.text() == iso_week_label(monday)
    assert dialog.start_date.value() == monday.isoformat()
    dialog.start_date.set_value("2026-11-25")
    assert dialog.label_edit.text() == "2026-W48"  # the label follows the date until the user types one
    with qtbot.waitSignal(context.data.changed):
        dialog.save_button.click()
    week = context.data.get_week_data(context.data.list_weeks()[0].id)
    assert (week.week_label, week.start_date) == ("2026-W48", "2026-11-25")
    twin = window.weeks.open_new_dialog()
    twin.label_edit.setText("2026-w48")
    twin.save_button.click()
    assert "already exists" in twin.errors.visible_errors()["week_label"]
    assert len(context.data.list_weeks()) == 1


def test_move_to_week_and_undo_it(window, context, qtbot):
    source, target = make_week(context, "2026-W47", tasks=3), make_week(context, "2026-W48")
    window.weeks.select_week(source)
    window.tasks.table.selectAll()
    dialog = window.tasks.open_move_dialog()
    assert dialog.weeks.count() == 1 and dialog.weeks.item(0).text() == "2026-W48 · Nov 23–29"
    assert dialog.select_week(target)
    dialog.ok_button.click()
    assert context.data.count_week_tasks(source) == 0 and context.data.count_week_tasks(target) == 3
    assert window.tasks.model.rowCount() == 0
    assert window.history.action.text() == "Undo Move 3 tasks"
    window.history.action.trigger()
    assert context.data.count_week_tasks(source) == 3 and context.data.count_week_tasks(target) == 0
    assert window.tasks.model.rowCount() == 3


def test_ctrl_z_undoes_a_delete_and_an_edit(window, context, qtbot, answers):
    week_id = make_week(context, "W1", tasks=2)
    window.weeks.select_week(week_id)
    first = window.tasks.model.task_at(0)
    window.tasks.select_task(first.id)
    edit = window.tasks.open_edit_dialog()
    edit.fields["score"].setText("")
    edit.fields["duration"].setText("2h")
    edit.save_button.click()
    assert context.data.get_task(first.id).duration_seconds == 7200
    window.tasks.table.selectAll()
    assert window.tasks.delete_selected() == 2
    assert context.data.count_week_tasks(week_id) == 0
    window.tasks.table.setFocus()
    QTest.keySequence(window, QKeySequence(QKeySequence.StandardKey.Undo))
    assert context.data.count_week_tasks(week_id) == 2
    assert window.tasks.model.rowCount() == 2
    window.history.action.trigger()  # then the edit
    restored = context.data.get_task(first.id)
    assert (restored.duration_seconds, restored.score) == (first.duration_seconds, first.score)
    assert not window.history.action.isEnabled()


def test_undo_a_week_edit(window, context, qtbot):
    week_id = make_week(context, "Draft")
    window.weeks.select_week(week_id)
    dialog = window.weeks.open_edit_dialog()
    dialog.label_edit.setText("Final")
    dialog.save_button.click()
    assert context.data.get_week_data(week_id).week_label == "Final"
    window.history.action.trigger()
    assert context.data.get_week_data(week_id).week_label == "Draft"


def test_week_total_moves_while_the_timer_runs(shell, window, context, clock):
    week_id = make_week(context, "W1")
    task_id = context.data.create_task(week_id, {"duration": "10m"})
    window.weeks.select_week(week_id)
    model = window.weeks.model
    row = model.row_of(week_id)
    shell.timer.start(task_id)
    clock.advance(65)
    shell.timer.tick()
    assert model.data(model.index(row, 1)) == "00:11:05"
    assert window.statistics.values["total"].text() == "00:11:05"
    shell.timer.stop()
    assert model.data(model.index(row, 1)) == "00:11:05"  # now stored
    assert window.tasks.model.data(window.tasks.model.index(0, COLUMN_INDEX["duration"])) == "00:11:05"


def test_esc_clears_the_filter_and_new_shortcuts_exist(shell, window, context, qtbot):
    week_id = make_week(context, "W1", tasks=4)
    window.weeks.select_week(week_id)
    window.tasks.filter_edit.setText("att-001")
    assert window.tasks.proxy.rowCount() == 1
    window.tasks.filter_edit.setFocus()
    QTest.keyClick(window.tasks.filter_edit, Qt.Key.Key_Escape)
    assert window.tasks.filter_edit.text() == "" and window.tasks.proxy.rowCount() == 4
    actions = {a.text(): a for menu in window.menuBar().findChildren(QMenu) for a in menu.actions()}
    assert actions["New week…"].shortcut() == QKeySequence("Ctrl+Shift+N")
    assert QKeySequence("Ctrl+,") in actions["Settings…"].shortcuts()


def test_tray_start_timer_on_a_recent_task(qtbot, context, clock, answers):
    week_id = make_week(context, "2026-W48")
    old = context.data.create_task(week_id, {"project_name": "Old & <b>bold</b>"})
    new = context.data.create_task(week_id, {"project_name": "New"})
    shell = Shell(context, clock=clock, use_tray=True, confirm=answers)
    qtbot.addWidget(shell.window)
    assert shell.tray is not None
    shell.tray.recent_menu.aboutToShow.emit()
    entries = shell.tray.recent_menu.actions()
    assert [a.text() for a in entries] == ["New · 2026-W48", "Old && <b>bold</b> · 2026-W48"]
    entries[1].trigger()
    assert shell.timer.running_task_id == old
    shell.tray.recent_menu.aboutToShow.emit()
    assert [a.isChecked() for a in shell.tray.recent_menu.actions()] == [True, False]  # timed last: first
    shell.tray.recent_menu.actions()[1].trigger()
    assert shell.timer.running_task_id == new
    shell.quit()


def test_undo_a_week_delete_brings_back_its_tasks(window, context, answers):
    week_id = make_week(context, "2026-W48", tasks=3, is_bonus_week=True, bonus_rate=5.0)
    window.weeks.select_week(week_id)
    assert window.weeks.delete_selected()
    assert "Undo (Ctrl+Z) brings it back" in answers.questions[-1]
    assert context.data.list_weeks() == ()
    window.history.action.trigger()
    (restored,) = context.data.list_weeks()
    week = context.data.get_week_data(restored.id)
    assert (week.week_label, week.start_date, week.is_bonus_week, week.bonus_rate) == ("2026-W48", "2026-11-23", 1, 5.0)
    assert restored.task_count == 3
    assert sorted(t.attempt_id for t in context.data.get_week_tasks(restored.id)) == ["att-000", "att-001", "att-002"]
