"""The Reports tab: presets, custom range, grouping, refresh on change, exports parsed back."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from app.ui.context import AppContext
from app.ui.reports.view import ReportsView

TODAY = date(2026, 11, 26)  # a Thursday in ISO week 48


def make_tasks(context: AppContext) -> int:
    week = context.data.create_week("2026-W48", is_bonus_week=1, bonus_rate=12.0, bonus_threshold_seconds=0)
    context.data.create_tasks(week, [
        {"project_name": "Alpha", "duration": "01:00:00", "time_limit": "02:00:00", "score": 90,
         "date_audited": "2026-11-24"},
        {"project_name": "Beta", "duration": "00:30:00", "date_audited": "2026-11-25"},
        {"project_name": "Alpha", "duration": "00:15:00", "score": 70, "date_audited": "2026-11-02"},  # last month
    ])
    return week


@pytest.fixture
def view(qtbot: Any, context: AppContext) -> ReportsView:
    widget = ReportsView(context.profile, context.data, context.state, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def wait_report(qtbot: Any, view: ReportsView) -> None:
    qtbot.waitUntil(lambda: not view.jobs, timeout=10_000)


def test_presets_set_the_range_and_show_totals(qtbot: Any, context: AppContext, view: ReportsView) -> None:
    make_tasks(context)
    wait_report(qtbot, view)
    view.refresh()
    wait_report(qtbot, view)
    assert (view.current_range().start, view.current_range().end) == (date(2026, 11, 23), date(2026, 11, 29))
    assert view.report is not None and view.report.total.task_count == 2
    assert "01:30:00 in 2 tasks" in view.summary.text() and "within time limit 1 of 1" in view.summary.text()
    assert "18.00 USD" in view.summary.text()  # 1.5 h at 12/h, currency named
    assert [view.model.index(r, 0).data() for r in range(view.model.rowCount())] == ["Alpha", "Beta"]
    view.preset.setCurrentIndex(view.preset.findData("this_month"))
    wait_report(qtbot, view)
    assert view.report.total.task_count == 3 and view.current_range().end == date(2026, 11, 30)


def test_custom_range_and_grouping(qtbot: Any, context: AppContext, view: ReportsView) -> None:
    make_tasks(context)
    view.set_range(date(2026, 11, 1), date(2026, 11, 24))
    view.set_grouping("day")
    wait_report(qtbot, view)
    assert view.preset.currentData() == "custom"
    assert [row.key for row in view.report.rows] == ["2026-11-02", "2026-11-24"]
    assert view.chart.timeline and [bar.label for bar in view.chart.bars] == ["11-02", "11-24"]
    view.set_range(date(2026, 11, 24), date(2026, 11, 1))  # end before begin
    assert view.error.isVisible() and "before it begins" in view.error.text()


def test_a_change_rebuilds_the_shown_report(qtbot: Any, context: AppContext, view: ReportsView) -> None:
    week = make_tasks(context)
    wait_report(qtbot, view)
    qtbot.waitUntil(lambda: view.report is not None and view.report.total.task_count == 2, timeout=10_000)
    context.data.create_task(week, {"project_name": "Gamma", "duration": "00:05:00", "date_audited": "2026-11-27"})
    qtbot.waitUntil(lambda: view.report is not None and view.report.total.task_count == 3, timeout=10_000)


def test_exports_parse_back(qtbot: Any, context: AppContext, view: ReportsView, tmp_path: Path) -> None:
    make_tasks(context)
    view.refresh()
    wait_report(qtbot, view)
    assert view.export("csv", tmp_path / "r.csv") and view.export("json", tmp_path / "r.json")
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert [r["group"] for r in rows] == ["Alpha", "Beta", "Total"] and rows[-1]["time"] == "01:30:00"
    assert json.loads((tmp_path / "r.json").read_text())["total"]["duration_seconds"] == 5400
    assert view.export("pdf", tmp_path / "r.pdf")
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_export_that_cannot_be_written_says_why(qtbot: Any, context: AppContext, view: ReportsView,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(context)
    view.refresh()
    wait_report(qtbot, view)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    assert not view.export("pdf", tmp_path / "missing-folder" / "r.pdf")
    assert shown and "could not write" in shown[0]


def test_a_hidden_tab_builds_nothing_until_shown(qtbot: Any, context: AppContext) -> None:
    hidden = ReportsView(context.profile, context.data, context.state, today=lambda: TODAY)
    qtbot.addWidget(hidden)
    make_tasks(context)
    hidden.set_grouping("day")
    assert hidden.jobs == [] and hidden.report is None
    hidden.show()
    wait_report(qtbot, hidden)
    assert hidden.report is not None and hidden.report.by == "day"
