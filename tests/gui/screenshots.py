"""Take the README screenshots from the real widgets on a demo profile (not a test).

One command: ``.venv/bin/python -m tests.gui.screenshots``. It renders on X11 (xcb): on ``DISPLAY`` when there
is one, otherwise on its own Xvfb (a real X server, so fonts and styles are the ones users see), stopped
afterwards. Offscreen only when asked (``QT_QPA_PLATFORM=offscreen``) or when Xvfb is missing, then on a
virtual screen as large as the Xvfb one, with a warning that the images are not the X11 ones.
Writes docs/screenshots/: main_window.png, main_window_dark.png, task_dialog_error.png, statistics.png,
statistics_dark.png, reports.png, reports_by_day.png, import_duplicates.png, settings_privacy.png,
settings_sync_error.png, activity_timeline.png.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

# Decided before anything from tests/ is imported: tests/conftest.py defaults QT_QPA_PLATFORM to offscreen
# for the test suite, whose 800×800 virtual screen would squeeze the 1440×820 window. xcb unless asked.
os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

from PySide6.QtCore import QSize, QThread
from PySide6.QtWidgets import QApplication, QWidget

from app.monitor.store import MonitorStore
from app.ui.activity.activity_view import ActivityView
from app.ui.context import AppContext
from app.ui.import_export.formats import export_csv
from app.ui.launch import make_application
from app.ui.main_window import MainWindow
from app.ui.settings_fields import PAGES
from app.ui.shell import Shell
from app.ui.theme import apply_theme
from tests.gui.conftest import FakeClock
from tests.gui.demo_data import fill
from tests.monitor.test_store import span
from tests.support.xvfb import xvfb_display

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WINDOW = QSize(1440, 820)  # the main window in the README
SCREEN = QSize(1600, 1000)  # Xvfb's screen, and the offscreen one: room for WINDOW


def warn(text: str) -> None:
    print(f"WARNING: {text}", file=sys.stderr, flush=True)


def settle(app: QApplication, rounds: int = 20) -> None:
    """Let the X server apply resizes (a round trip, not one processEvents) and the widgets repaint."""
    for _ in range(rounds):
        app.processEvents()
        QThread.msleep(10)


def save(widget: QWidget, name: str, app: QApplication) -> None:
    settle(app)
    path = OUT / name
    widget.grab().save(str(path))
    print("wrote", path)


def wait_for(app: QApplication, done: object, rounds: int = 2000) -> None:
    for _ in range(rounds):
        if done():  # type: ignore[operator]
            return
        app.processEvents()
        QThread.msleep(5)
    raise RuntimeError("the screen did not finish loading")


def take_reports(window: MainWindow, app: QApplication) -> None:
    reports = window.reports
    window.tabs.setCurrentWidget(reports)
    reports.set_grouping("project")
    reports.set_range(date(2026, 11, 2), date(2026, 11, 29))
    wait_for(app, lambda: not reports.jobs and reports.report is not None)
    save(window, "reports.png", app)
    reports.set_grouping("day")
    wait_for(app, lambda: not reports.jobs and reports.report is not None and reports.report.by == "day")
    save(window, "reports_by_day.png", app)


def take_import_preview(shell: Shell, week_id: int, folder: Path, app: QApplication) -> None:
    path = folder / "week.csv"
    export_csv(shell.window.context.profile.db.get(), path, week_id)
    with path.open("a", encoding="utf-8", newline="") as handle:  # two new rows beside the exported ones
        handle.write(",,SQR,Search Quality Rating,rate,00:21:00,00:30:00,2026-11-27,91,,en_US,0,,\n")
        handle.write(",,ADR,Ads Relevance,review,00:12:30,00:15:00,2026-11-27,,,,0,,\n")
    dialog = shell.menu_bar.import_csv(path)
    assert dialog is not None
    wait_for(app, lambda: dialog.preview is not None)
    dialog.resize(1000, 560)
    save(dialog, "import_duplicates.png", app)
    dialog.reject()


def take_settings(shell: Shell, app: QApplication) -> None:
    dialog = shell.menu_bar.open_settings()
    dialog.resize(720, 640)
    dialog.tabs.setCurrentIndex(PAGES.index("Privacy"))
    save(dialog, "settings_privacy.png", app)
    dialog.tabs.setCurrentIndex(PAGES.index("Sync"))
    dialog.sync_page.url.setText("https://ingest.example.com")
    dialog.sync_page.key.setText("wfh-1234")
    dialog.try_save()
    save(dialog, "settings_sync_error.png", app)
    dialog.reject()


def take_activity(context: AppContext, app: QApplication) -> None:
    store = MonitorStore(context.profile.db)
    day = "2026-11-26"
    blocks = [("07:50", "09:10", "code", None, "productive"), ("09:10", "09:25", "firefox", "youtube.com",
              "unproductive"), ("09:25", "10:40", "code", None, "productive"), ("10:40", "11:00", "", None, None),
              ("11:00", "12:30", "firefox", "docs.python.org", "productive"), ("13:15", "15:05", "code", None,
              "productive"), ("15:05", "15:40", "Slack", None, "neutral"), ("15:40", "17:20", "code", None,
              "productive")]
    store.write_spans([span(f"{day}T{a}:00Z", f"{day}T{b}:00Z", process_name=app_name, domain=domain,
                            category=category, status="idle" if not app_name else "active")
                       for a, b, app_name, domain, category in blocks])
    store.update_day(date(2026, 11, 26), ZoneInfo("UTC"))
    context.profile.settings.set("ingestion.api.base_url", "https://ingest.example.com")
    view = ActivityView(context.profile, tz="UTC")
    view.resize(1280, 700)
    view.show()
    loaded: list[str] = []
    view.dayLoaded.connect(loaded.append)
    view.show_day(date(2026, 11, 26))
    wait_for(app, lambda: bool(loaded))
    save(view, "activity_timeline.png", app)
    view.close()


def main() -> int:
    platform = os.environ["QT_QPA_PLATFORM"]  # set at the top, before tests.conftest's offscreen default
    if platform == "xcb" and not os.environ.get("DISPLAY"):
        if shutil.which("Xvfb") is not None:  # one command: our own X server when there is none
            with xvfb_display(f"{SCREEN.width()}x{SCREEN.height()}x24") as display:
                os.environ["DISPLAY"] = display
                os.environ.pop("WAYLAND_DISPLAY", None)
                return take_all()
        warn("no DISPLAY and Xvfb is not installed (apt-get install xvfb): falling back to offscreen")
        platform = "offscreen"
    if platform.startswith("offscreen"):
        with tempfile.TemporaryDirectory() as folder:
            if platform == "offscreen":  # the plugin's default screen is 800×800: give it the Xvfb size
                config = Path(folder) / "screen.json"
                config.write_text(json.dumps({"windowFrameMargins": False, "screens": [{
                    "name": "screenshots", "x": 0, "y": 0, "width": SCREEN.width(), "height": SCREEN.height(),
                    "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
                platform = f"offscreen:configfile={config}"
            os.environ["QT_QPA_PLATFORM"] = platform
            warn(f"rendering with QT_QPA_PLATFORM={platform}: fonts, styles and sizes may differ from X11; "
                 "for the README run on a display or under Xvfb")
            return take_all()
    return take_all()


def take_all() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = make_application()
    apply_theme(app, "light")
    with tempfile.TemporaryDirectory() as folder:
        context = AppContext.open(folder)
        week_id = fill(context.data)
        clock = FakeClock()
        shell = Shell(context, clock=clock, use_tray=False)
        window = shell.window
        window.resize(WINDOW)
        window.splitter.setSizes([330, 1110])
        window.show()
        window.resize(WINDOW)  # after show: the restored default geometry would win otherwise
        window.weeks.select_week(week_id)
        settle(app)
        if window.size() != WINDOW:
            room = app.primaryScreen().availableSize()
            warn(f"the main window is {window.width()}×{window.height()}, not {WINDOW.width()}×{WINDOW.height()}: "
                 f"the screen ({room.width()}×{room.height()} available) is too small; run without DISPLAY "
                 f"(the tool starts its own {SCREEN.width()}×{SCREEN.height()} Xvfb) or on a larger screen")
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
        save(window, "statistics.png", app)
        apply_theme(app, "dark")
        save(window, "statistics_dark.png", app)
        apply_theme(app, "light")
        take_reports(window, app)
        take_import_preview(shell, week_id, Path(folder), app)
        take_settings(shell, app)
        take_activity(context, app)
        shell.quit()
        context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
