"""Screenshots of the issue-15 entry screens for review (not a test): the task dialog with four errors, with
the duration hint and the begin/end warning, the dated week list, the new-week dialog, the move dialog
and the tray menu.

``Xvfb :57 -screen 0 1600x1000x24 & DISPLAY=:57 QT_QPA_PLATFORM=xcb python -m tests.gui.screenshots_entry OUT_DIR``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.context import AppContext
from app.ui.launch import make_application
from app.ui.shell import Shell
from app.ui.theme import apply_theme
from tests.gui.conftest import FakeClock
from tests.gui.demo_data import fill


def settle(app: QApplication, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()


def save(widget: QWidget, out: Path, name: str, app: QApplication) -> None:
    settle(app)
    widget.grab().save(str(out / name))
    print("wrote", out / name)


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    apply_theme(app, "light")
    with tempfile.TemporaryDirectory() as folder:
        context = AppContext.open(folder)
        week_id = fill(context.data)
        for label in ("2026-W44", "Imported tasks without a week", "Quarterly review for the platform team " * 2):
            context.data.create_week(label)
        shell = Shell(context, clock=FakeClock(), use_tray=True)
        window = shell.window
        window.resize(1440, 820)
        window.show()
        window.weeks.select_week(week_id)
        settle(app)
        save(window, out, "entry_week_list.png", app)
        week_dialog = window.weeks.open_new_dialog()
        save(week_dialog, out, "entry_week_dialog.png", app)
        week_dialog.reject()
        dialog = window.tasks.open_new_dialog()
        assert dialog is not None
        dialog.fields["project_name"].setText("Atlas")
        dialog.fields["duration"].setText("abc")
        dialog.fields["time_limit"].setText("soon")
        dialog.fields["score"].setText("150")
        dialog.pickers["time_begin"].set_value("2026-11-26T10:00:00")
        dialog.pickers["time_end"].set_value("2026-11-26T09:00:00")
        dialog.feedback.setPlainText("Checked twice; see the notes.")
        dialog.save_button.click()
        save(dialog, out, "entry_task_dialog_4_errors.png", app)
        dialog.reject()
        hint = window.tasks.open_new_dialog()
        assert hint is not None
        hint.fields["project_name"].setText("Atlas")
        hint.fields["duration"].setText("1:30")
        hint.fields["time_limit"].setText("2h")
        hint.pickers["time_begin"].set_value("2026-11-26T10:00:00")
        hint.pickers["time_end"].set_value("2026-11-26T11:00:00")
        save(hint, out, "entry_task_dialog_hint.png", app)
        hint.reject()
        window.tasks.table.selectRow(0)
        move = window.tasks.open_move_dialog()
        assert move is not None
        save(move, out, "entry_move_dialog.png", app)
        move.reject()
        assert shell.tray is not None
        shell.fill_recent_tasks()
        menu = shell.tray.menu
        menu.popup(QPoint(200, 200))
        settle(app)
        shell.tray.recent_menu.popup(QPoint(200 + menu.width(), 200))
        settle(app)
        save(menu, out, "entry_tray_menu.png", app)
        save(shell.tray.recent_menu, out, "entry_tray_recent.png", app)
        menu.hide()
        shell.quit()
        context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wfh-entry-shots")))
