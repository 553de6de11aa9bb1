"""Tray behaviour (close hides, hint once, timer state), Ctrl+Q, and week editing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.ui.shell import Shell
from tests.gui.conftest import make_week


def test_close_hides_to_tray_and_says_so_once(qtbot, context, clock, answers):
    shell = Shell(context, clock=clock, use_tray=True, confirm=answers)
    win = shell.window
    qtbot.addWidget(win)
    win.show()
    assert shell.tray is not None
    win.close()
    assert not win.isVisible()
    assert context.state.get("tray_hint_shown") is True
    assert shell.tray.show_action.text() == "Open WFH Agent"
    shell.tray.showHideRequested.emit()
    assert win.isVisible()
    shell.quit()


def test_tray_follows_the_timer(qtbot, context, clock, answers):
    week_id = make_week(context, "W1")
    task_id = context.data.create_task(week_id, {"project_name": "Tray", "time_limit": "00:01:00"})
    shell = Shell(context, clock=clock, use_tray=True, confirm=answers)
    win = shell.window
    qtbot.addWidget(win)
    win.show()
    win.weeks.select_week(week_id)
    win.tasks.select_task(task_id)
    assert shell.tray is not None
    shell.tray.timerToggleRequested.emit()
    assert shell.timer.running_task_id == task_id
    assert shell.tray.timer_action.text() == "Stop timer"
    assert "▶ timing Tray" in shell.tray.icon.toolTip()
    assert shell.tray.state == "sync:pending", "the icon keeps showing the sync state"
    clock.advance(61)
    shell.timer.tick()
    assert "⚠ timing Tray" in shell.tray.icon.toolTip()
    shell.tray.timerToggleRequested.emit()
    assert not shell.timer.is_running()
    assert "timing" not in shell.tray.icon.toolTip() and shell.tray.timer_action.text() == "Start timer"
    shell.quit()


def test_ctrl_q_quits_cleanly(window, shell, qtbot):
    QTest.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert shell.quitting
    assert not window.isVisible()


def test_edit_week_through_dialog_updates_list_and_title(window, context, qtbot):
    week_id = make_week(context, "Draft", tasks=2)
    window.weeks.select_week(week_id)
    dialog = window.weeks.open_edit_dialog()
    assert dialog is not None and dialog.label_edit.text() == "Draft"
    dialog.label_edit.setText("2026-W49")
    dialog.custom_duration.setChecked(True)
    with qtbot.waitSignal(context.data.changed, check_params_cb=lambda c: bool(c.weeks_updated)):
        dialog.save_button.click()
    assert window.weeks.model.index(0, 0).data() == "2026-W49"
    assert window.windowTitle() == "WFH Agent — 2026-W49"
    assert context.data.get_week_data(week_id).is_custom_duration == 1


def test_new_task_created_elsewhere_appears_in_a_sorted_table_in_order(window, context, qtbot):
    week_id = make_week(context, "W1", tasks=5)
    window.weeks.select_week(week_id)
    panel = window.tasks
    from app.ui.tasks.columns import COLUMN_INDEX

    column = COLUMN_INDEX["score"]
    panel.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    context.data.create_task(week_id, {"project_name": "Middle", "score": 52})
    scores = [int(panel.proxy.index(r, column).data()) for r in range(panel.proxy.rowCount())]
    assert scores == sorted(scores) and len(scores) == 6


def test_enter_edits_and_space_toggles_the_timer(window, context, qtbot, shell):
    week_id = make_week(context, "W1", tasks=2)
    window.weeks.select_week(week_id)
    panel = window.tasks
    task = panel.model.task_at(0)
    panel.select_task(task.id)
    panel.table.setFocus()
    QTest.keyClick(panel.table, Qt.Key.Key_Space)
    assert shell.timer.running_task_id == task.id
    QTest.keyClick(panel.table, Qt.Key.Key_Space)
    assert not shell.timer.is_running()
    QTest.keyClick(panel.table, Qt.Key.Key_Return)
    from app.ui.tasks.dialog import TaskDialog

    dialogs = [d for d in panel.findChildren(TaskDialog) if d.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].fields["attempt_id"].text() == task.attempt_id
    dialogs[0].reject()


def test_bulk_change_keeps_the_selected_week(window, context):
    make_week(context, "Other", tasks=1)
    wanted = make_week(context, "Wanted", tasks=2)
    make_week(context, "Newest", tasks=1)
    window.weeks.select_week(wanted)
    context.data.notify_bulk_change()
    assert window.weeks.selected_week_id() == wanted
    assert window.tasks.model.rowCount() == 2


def test_dark_theme_palette(qapp):
    from PySide6.QtGui import QPalette

    from app.ui.theme import apply_theme

    assert apply_theme(qapp, "dark") is True
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert apply_theme(qapp, "light") is False
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180


def test_second_start_of_a_profile_activates_the_first(qapp, qtbot, data_dir):
    from app.paths import resolve_paths
    from app.single_instance import SingleInstance

    paths = resolve_paths(data_dir)
    first = SingleInstance(paths)
    assert first.acquire()  # nobody there yet
    second = SingleInstance(paths)
    with qtbot.waitSignal(first.activationRequested, timeout=5000):
        assert not second.acquire()  # refused, and the first was asked to show itself
    first.release()
    assert resolve_paths(data_dir / "other").lock_name != paths.lock_name


def test_tray_takes_extra_states_and_menu_entries(qapp):
    from PySide6.QtGui import QAction

    from app.ui.icons import state_icon
    from app.ui.tray import TrayIcon

    tray = TrayIcon()
    extra = QAction("Sync now")
    tray.add_actions([extra])
    texts = [a.text() for a in tray.menu.actions()]
    assert texts.index("Sync now") < texts.index("Quit")
    tray.set_state("offline", "WFH Agent — offline", icon=state_icon("offline"))
    assert tray.state == "offline" and tray.icon.toolTip() == "WFH Agent — offline"


def test_tray_entry_names_what_it_will_do(qtbot, context, clock, answers):
    shell = Shell(context, clock=clock, use_tray=True, confirm=answers)
    win = shell.window
    qtbot.addWidget(win)
    win.show()
    assert shell.tray.show_action.text() == "Hide WFH Agent"
    win.hide()
    assert shell.tray.show_action.text() == "Open WFH Agent"
    shell.quit()
