"""The Activity view's day is read by a BackgroundTask (the one way off the GUI thread), whose thread's
SQLite connection is closed when the read ends; before, a QRunnable on the global pool kept one open."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.ui.activity.data import DayLoader
from app.ui.background import wait_for_background_tasks


def test_day_loader_delivers_the_latest_day_and_closes_its_connection(profile: Any, qtbot: Any) -> None:
    profile.db.get()  # the GUI thread's own connection
    open_before = len(profile.db._all)
    loader = DayLoader(profile, tz="UTC")
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as loaded:
        loader.load(date(2026, 11, 25))
        loader.load(date(2026, 11, 26))  # a quick second request: only its result is delivered
    assert loaded.args[0].day == date(2026, 11, 26)
    assert wait_for_background_tasks(10_000)
    qtbot.wait(50)
    assert len(profile.db._all) == open_before  # before: the pool thread's connection stayed open
