"""Take the README screenshots from the real widgets on a demo profile (not a test).

Run under a real X server so fonts and styles are the ones users see:
``Xvfb :55 -screen 0 1600x1000x24 & DISPLAY=:55 QT_QPA_PLATFORM=xcb python -m tests.gui.screenshots``
Writes docs/screenshots/main_window.png, main_window_dark.png, task_dialog_error.png, statistics.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from app.ui.context import AppContext
from app.ui.launch import make_application
from app.ui.shell import Shell
from app.ui.theme import apply_theme
from tests.gui.conftest import FakeClock
from tests.gui.demo_data import fill

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def settle(app: QApplication, rounds: int = 20) -> None:
    for _ in range(rounds):
        app.processEvents()


def save(widget: QWidget, name: str, app: QApplication) -> None:
    settle(app)
    path = OUT / name
    widget.grab().save(str(path))
    print("wrote", path)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = make_application()
    apply_theme(app, "light")
    with tempfile.TemporaryDirectory() as folder:
        context = AppContext.open(folder)
        week_id = fill(context.data)
        clock = FakeClock()
        shell = Shell(context, clock=clock, use_tray=False)
        window = shell.window
        window.resize(1440, 820)
        window.splitter.setSizes([330, 1110])
        window.show()
        window.weeks.select_week(week_id)
        settle(app)
        running = window.tasks.model.task_at(1)
        window.tasks.select_task(running.id)
        shell.timer.start(running.id)
        clock.advance(17 * 60 + 42)
        shell.timer.tick()
        save(window, "main_window.png", app)
        apply_theme(app, "dark")
        save(window, "main_window_dark.png", app)
        apply_theme(app, "light")
        shell.timer.stop()
        window.tasks.select_task(window.tasks.model.task_at(2).id)
        dialog = window.tasks.open_edit_dialog()
        assert dialog is not None
        dialog.fields["duration"].setText("1:75:00")
        dialog.fields["score"].setText("120")
        dialog.save_button.click()
        save(dialog, "task_dialog_error.png", app)
        dialog.reject()
        window.tabs.setCurrentWidget(window.statistics)
        window.statistics.show_week(week_id)
        window.statistics.chart.show_projects(window.statistics.analytics.projects)  # type: ignore[union-attr]
        save(window, "statistics.png", app)
        shell.quit()
        context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
