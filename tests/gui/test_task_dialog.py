"""The task dialog: every error at once, live duration hints, the begin/end check, pickers, blank score."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDateTimeEdit

from tests.gui.conftest import make_week


def _open_new(window, context):
    week_id = make_week(context, "W1")
    window.weeks.select_week(week_id)
    return week_id, window.tasks.open_new_dialog()


def _rect_in(dialog, widget) -> QRect:
    return QRect(widget.mapTo(dialog, QPoint(0, 0)), widget.size())


def test_four_errors_at_once_and_the_layout_grows_instead_of_overlapping(window, context, qtbot):
    week_id, dialog = _open_new(window, context)
    qtbot.waitExposed(dialog)
    dialog.fields["duration"].setText("abc")
    dialog.fields["time_limit"].setText("soon")
    dialog.fields["score"].setText("150")
    dialog.pickers["time_begin"].set_value("2026-11-26T10:00:00")
    dialog.pickers["time_end"].set_value("2026-11-26T09:00:00")
    dialog.save_button.click()
    errors = dialog.errors.visible_errors()
    assert set(errors) == {"duration", "time_limit", "score", "time_end"}
    assert "before the beginning" in errors["time_end"]
    assert context.data.count_week_tasks(week_id) == 0
    assert dialog.focusWidget() is dialog.fields["duration"]  # the cursor goes to the first problem
    QTest.qWait(50)
    assert dialog.height() >= dialog.layout().minimumSize().height()
    buttons, feedback = _rect_in(dialog, dialog.buttons), _rect_in(dialog, dialog.feedback)
    assert not buttons.intersects(feedback) and buttons.top() >= feedback.bottom()
    for name in errors:
        assert not _rect_in(dialog, dialog.errors.labels[name]).intersects(buttons)


def test_duration_hint_is_live(window, context, qtbot):
    _week, dialog = _open_new(window, context)
    assert dialog.hints["duration"].text() == ""
    qtbot.keyClicks(dialog.fields["duration"], "1:30")
    assert dialog.hints["duration"].text() == "= 1 h 30 min"
    dialog.fields["duration"].setText("1.5h")
    assert dialog.hints["duration"].text() == "= 1 h 30 min"
    dialog.fields["duration"].setText("95")
    assert dialog.hints["duration"].text() == "= 1 h 35 min"
    dialog.fields["duration"].setText("abc")
    assert dialog.hints["duration"].text() == "= ?"
    qtbot.keyClicks(dialog.fields["time_limit"], "45m")
    assert dialog.hints["time_limit"].text() == "= 45 min"


def test_duration_that_disagrees_with_begin_end_is_warned_and_fixed(window, context, qtbot):
    week_id, dialog = _open_new(window, context)
    dialog.show()
    dialog.pickers["time_begin"].set_value("2026-11-26T10:00:00")
    dialog.pickers["time_end"].set_value("2026-11-26T11:00:00")
    dialog.fields["duration"].setText("1:30:00")
    assert dialog.mismatch_box.isVisible()
    assert dialog.use_span_button.text() == "Use 1 h 00 min from begin/end"
    assert "1 h 30 min" in dialog.mismatch_label.text()
    dialog.use_span_button.click()
    assert dialog.hints["duration"].text() == "= 1 h 00 min"
    assert not dialog.mismatch_box.isVisible()
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.tasks_created)) as created:
        dialog.save_button.click()
    task = context.data.get_task(created.args[0].tasks_created[0])
    assert (task.duration_seconds, task.time_begin, task.time_end) == (3600, "2026-11-26T10:00:00",
                                                                      "2026-11-26T11:00:00")


def test_blank_score_saves_as_no_score_and_shows_blank(window, context, qtbot):
    week_id, dialog = _open_new(window, context)
    dialog.fields["project_name"].setText("Atlas")
    dialog.fields["duration"].setText("45m")
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.tasks_created)) as created:
        dialog.save_button.click()
    task_id = created.args[0].tasks_created[0]
    assert context.data.get_task(task_id).score is None
    from app.ui.tasks.columns import COLUMN_INDEX

    assert window.tasks.model.data(window.tasks.model.index(0, COLUMN_INDEX["score"])) == ""
    window.tasks.select_task(task_id)
    edit = window.tasks.open_edit_dialog()
    assert edit.fields["score"].text() == ""


def test_pickers_have_a_calendar_and_take_typing(window, context, qtbot):
    _week, dialog = _open_new(window, context)
    dialog.show()
    qtbot.waitExposed(dialog)
    picker = dialog.pickers["time_begin"]
    assert picker.value() is None and picker.editor.calendarPopup()
    picker.enabled_box.setChecked(True)
    editor = picker.editor
    editor.setFocus()
    editor.setSelectedSection(QDateTimeEdit.Section.YearSection)
    qtbot.keyClicks(editor, "2025")
    editor.setSelectedSection(QDateTimeEdit.Section.HourSection)
    qtbot.keyClicks(editor, "07")
    assert picker.value().startswith("2025-") and picker.value()[11:13] == "07"
    editor.setSelectedSection(QDateTimeEdit.Section.HourSection)
    QTest.keyClick(editor, Qt.Key.Key_Up)
    assert picker.value()[11:13] == "08"
    picker.enabled_box.setChecked(False)
    assert picker.value() is None


def test_untouched_loaded_times_round_trip_exactly(window, context, qtbot):
    week_id = make_week(context, "W1")
    task_id = context.data.create_task(week_id, {"duration": "1h", "time_begin": "2026-11-26T10:00:30+02:00",
                                                  "date_audited": "2026-11-27"})
    window.weeks.select_week(week_id)
    window.tasks.select_task(task_id)
    dialog = window.tasks.open_edit_dialog()
    assert dialog.values()["time_begin"] == "2026-11-26T10:00:30+02:00"
    assert dialog.values()["date_audited"] == "2026-11-27"
    assert dialog.values()["time_end"] is None
