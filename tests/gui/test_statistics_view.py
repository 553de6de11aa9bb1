"""The Statistics tab (issue 15): limits counted only where set, bonus with currency, the score explained,
times as HH:MM:SS, captions readable on the dark theme."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel

from app.ui.context import AppContext
from app.ui.stats.view import StatisticsView
from app.ui.theme import apply_theme


def luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def stats(qtbot: Any, context: AppContext) -> StatisticsView:
    context.profile.settings.set("display.currency", "EUR")
    view = StatisticsView(context.data, currency=lambda: str(context.profile.settings.get("display.currency")))
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    return view


def test_within_limit_counts_only_tasks_with_a_limit(context: AppContext, stats: StatisticsView) -> None:
    week = context.data.create_week("2026-W48")
    context.data.create_tasks(week, [
        {"project_name": "A", "duration": "00:30:00", "time_limit": "01:00:00"},
        {"project_name": "A", "duration": "02:00:00", "time_limit": "01:00:00"},
        {"project_name": "B", "duration": "00:10:00"},
        {"project_name": "B", "duration": "00:20:00"},
    ])
    stats.show_week(week)
    assert stats.values["on_time"].text() == "1 of 2"
    empty = context.data.create_week("2026-W49")
    context.data.create_task(empty, {"project_name": "C", "duration": "00:45:41"})
    stats.show_week(empty)
    assert stats.values["on_time"].text() == "no limits set"


def test_bonus_names_its_currency_and_times_are_hhmmss(context: AppContext, stats: StatisticsView) -> None:
    week = context.data.create_week("2026-W48", is_bonus_week=1, bonus_rate=10.0, bonus_threshold_seconds=1800)
    context.data.create_task(week, {"project_name": "A", "duration": "00:45:41"})
    stats.show_week(week)
    assert stats.values["bonus"].text() == "2.61 EUR for 00:15:41"
    assert stats.chart.bars[0].hhmmss == "00:45:41" and "00:45:41" in stats.chart.toolTip()
    assert " h" not in stats.chart.toolTip()


def test_productivity_score_is_explained(stats: StatisticsView) -> None:
    frame = stats.values["productivity"].parentWidget()
    assert "average score" in frame.toolTip() and "time limit" in frame.toolTip()
    meaning = stats.findChild(QLabel, "productivityMeaning")
    assert meaning is not None and "average score" in meaning.text()
    assert "Tasks without a limit are not counted" in stats.values["on_time"].parentWidget().toolTip()


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    apply_theme(qapp, "dark")
    yield
    apply_theme(qapp, "light")


def test_captions_are_readable_on_the_dark_theme(qtbot: Any, context: AppContext, dark: None) -> None:
    view = StatisticsView(context.data)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    qtbot.waitExposed(view)
    caption = view.findChild(QLabel, "caption_total")
    image = caption.grab().toImage()
    colours = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    background = max(set(c.rgb() for c in colours), key=[c.rgb() for c in colours].count)
    best = max(contrast(QColor.fromRgb(background), c) for c in colours)
    assert best >= 7.0, f"caption contrast {best:.1f}:1 on the dark theme"
