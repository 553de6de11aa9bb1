"""Weeks and tasks driven through the real dialogs, table, filter and shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain.timeparse import format_duration
from app.ui.tasks.columns import COLUMN_INDEX
from tests.gui.conftest import make_week


def test_create_week_through_dialog_selects_it_and_sets_title(window, context, qtbot):
    dialog = window.weeks.open_new_dialog()
    dialog.label_edit.clear()
    qtbot.keyClicks(dialog.label_edit, "2026-W48")
    dialog.end_day.setCurrentIndex(4)
    dialog.bonus_week.setChecked(True)
    dialog.bonus_rate.setValue(12.5)
    dialog.bonus_threshold.setText("40:00:00")
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.weeks_created)):
        dialog.save_button.click()
    weeks = context.data.list_weeks()
    assert [w.week_label for w in weeks] == ["2026-W48"]
    week = context.data.get_week_data(weeks[0].id)
    assert (week.week_end_day, week.is_bonus_week) == (4, 1)
    assert (week.bonus_rate, week.bonus_threshold_seconds) == (12.5, 144000)
    assert window.weeks.selected_week_id() == weeks[0].id
    assert window.windowTitle() == "WFH Agent — 2026-W48"


def test_duplicate_week_label_is_shown_inline_and_dialog_stays(window, context, qtbot):
    make_week(context, "W1")
    dialog = window.weeks.open_new_dialog()
    dialog.label_edit.setText("W1")
    dialog.save_button.click()
    assert dialog.isVisible()
    assert "already exists" in dialog.errors.visible_errors()["week_label"]
    assert len(context.data.list_weeks()) == 1


def test_delete_week_asks_with_task_count(window, context, answers):
    week_id = make_week(context, "W1", tasks=3)
    window.weeks.select_week(week_id)
    answers.answer = False
    assert not window.weeks.delete_selected()
    assert "its 3 tasks" in answers.questions[-1]
    answers.answer = True
    assert window.weeks.delete_selected()
    assert context.data.list_weeks() == ()
    assert window.tasks.model.week_id is None


def test_add_task_then_edit_duration(window, context, qtbot):
    week_id = make_week(context, "W1")
    window.weeks.select_week(week_id)
    dialog = window.tasks.open_new_dialog()
    qtbot.keyClicks(dialog.fields["project_name"], "Atlas")
    qtbot.keyClicks(dialog.fields["duration"], "25m 30s")
    assert dialog.hints["duration"].text() == "= 25 min 30 s"
    qtbot.keyClicks(dialog.fields["score"], "88")
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.tasks_created)) as created:
        dialog.save_button.click()
    task_id = created.args[0].tasks_created[0]
    assert window.tasks.model.rowCount() == 1
    assert context.data.get_task(task_id).duration_seconds == 25 * 60 + 30
    assert window.tasks.select_task(task_id)
    edit = window.tasks.open_edit_dialog()
    assert edit.fields["duration"].text() == "00:25:30"
    edit.fields["duration"].setText("01:02:03")
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.tasks_updated)):
        edit.save_button.click()
    assert context.data.get_task(task_id).duration_seconds == 3723
    assert window.tasks.model.data(window.tasks.model.index(0, COLUMN_INDEX["duration"])) == "01:02:03"


def test_invalid_input_shows_inline_errors_and_saves_nothing(window, context, qtbot):
    week_id = make_week(context, "W1")
    window.weeks.select_week(week_id)
    dialog = window.tasks.open_new_dialog()
    dialog.fields["duration"].setText("abc")
    dialog.fields["time_limit"].setText("1:99")
    dialog.fields["score"].setText("150")
    dialog.save_button.click()
    errors = dialog.errors.visible_errors()
    assert "1h30m" in errors["duration"]
    assert "1h30m" in errors["time_limit"]
    assert errors["score"] == "must be between 0 and 100"
    assert dialog.isVisible()
    assert context.data.count_week_tasks(week_id) == 0
    dialog.fields["duration"].setText("10:00")
    dialog.fields["time_limit"].setText("")
    dialog.fields["score"].setText("90")
    dialog.pickers["time_begin"].set_value("2026-11-26T10:00:00")
    dialog.pickers["time_end"].set_value("2026-11-26T09:00:00")
    dialog.save_button.click()
    assert "before the beginning" in dialog.errors.visible_errors()["time_end"]
    assert context.data.count_week_tasks(week_id) == 0
    dialog.pickers["time_end"].set_value("2026-11-26T11:00:00")
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.tasks_created)):
        dialog.save_button.click()
    assert context.data.count_week_tasks(week_id) == 1


def test_filter_by_text_and_project_and_sort_by_duration(window, context, qtbot):
    week_id = make_week(context, "W1", tasks=30)
    window.weeks.select_week(week_id)
    panel = window.tasks
    qtbot.keyClicks(panel.filter_edit, "needs review")
    assert panel.proxy.rowCount() == 15
    panel.filter_edit.clear()
    panel.project_combo.setCurrentText("Project B")
    assert panel.proxy.rowCount() == 10
    assert {panel.proxy.index(r, 0).data() for r in range(10)} == {"Project B"}
    panel.project_combo.setCurrentIndex(0)
    panel.table.sortByColumn(COLUMN_INDEX["duration"], Qt.SortOrder.DescendingOrder)
    column = COLUMN_INDEX["duration"]
    shown = [panel.proxy.index(r, column).data() for r in range(panel.proxy.rowCount())]
    assert shown == sorted(shown, reverse=True)
    assert shown[0] == "00:39:00"


def test_editing_one_task_never_resets_the_model(window, context, qtbot):
    week_id = make_week(context, "W1", tasks=20)
    window.weeks.select_week(week_id)
    model, proxy = window.tasks.model, window.tasks.proxy
    resets: list[str] = []
    model.modelReset.connect(lambda: resets.append("model"))
    proxy.modelReset.connect(lambda: resets.append("proxy"))
    window.weeks.model.modelReset.connect(lambda: resets.append("weeks"))
    task = model.task_at(5)
    with qtbot.waitSignal(model.dataChanged) as changed:
        context.data.update_task_duration(task.id, 4242, method="manual")
    assert changed.args[0].row() == 5
    assert model.task_at(5).duration_seconds == 4242
    total = context.data.get_week_analytics(week_id).total_duration_seconds
    assert window.statistics.analytics.total_duration_seconds == total
    weeks_row = window.weeks.model.row_of(week_id)
    assert window.weeks.model.index(weeks_row, 1).data() == format_duration(total)
    assert resets == []


def test_multi_select_delete_and_shortcuts(window, context, qtbot, answers):
    week_id = make_week(context, "W1", tasks=5)
    window.weeks.select_week(week_id)
    panel = window.tasks
    panel.table.setFocus()
    panel.table.selectRow(0)
    QTest.keyClick(panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert len(panel.selected_tasks()) == 2
    QTest.keyClick(panel.table, Qt.Key.Key_Delete)
    assert "2 tasks" in answers.questions[-1]
    assert context.data.count_week_tasks(week_id) == 3
    assert panel.model.rowCount() == 3
    panel.table.selectRow(0)
    QTest.keyClick(panel.table, Qt.Key.Key_N)
    dialogs = [d for d in panel.findChildren(type(panel.open_new_dialog())) if d.isVisible()]
    assert len(dialogs) >= 1
    for dialog in dialogs:
        dialog.reject()
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.filter_edit.hasFocus()


def test_big_week_loads_in_pages_and_filter_sees_all(window, context, qtbot):
    week_id = make_week(context, "Big", tasks=600)
    window.weeks.select_week(week_id)
    model = window.tasks.model
    assert model.rowCount() == model.PAGE_SIZE or model.rowCount() == 600
    qtbot.waitUntil(lambda: model.rowCount() == 600, timeout=5000)
    window.tasks.filter_edit.setText("att-599")
    assert window.tasks.proxy.rowCount() == 1


def test_sorting_keeps_the_selected_task_selected(window, context):
    week_id = make_week(context, "W1", tasks=12)
    window.weeks.select_week(week_id)
    panel = window.tasks
    chosen = panel.model.task_at(3)
    panel.select_task(chosen.id)
    panel.table.sortByColumn(COLUMN_INDEX["score"], Qt.SortOrder.DescendingOrder)
    assert [t.id for t in panel.selected_tasks()] == [chosen.id]
    assert panel.current_task() == chosen


def test_an_import_into_the_shown_week_redraws_once(window, context):
    """Many new rows: one model reset and one re-read, not a lookup and an insert per row on the GUI thread."""
    week_id = make_week(context, "Import target", tasks=3)
    window.weeks.select_week(week_id)
    model = window.tasks.model
    resets: list[int] = []
    inserts: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda *_: inserts.append(1))
    context.data.create_tasks(week_id, [{"project_name": f"Imported {i}"} for i in range(100)])
    assert resets == [1] and inserts == []
    assert model.rowCount() == 103
    context.data.create_task(week_id, {"project_name": "One more"})
    assert resets == [1] and inserts == [1], "a single new task is still inserted in place"
