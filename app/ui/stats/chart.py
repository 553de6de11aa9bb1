"""Horizontal bar chart of hours per project (largest first; the tail grouped as "Other")."""

from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QChart, QChartView, QHorizontalBarSeries, QValueAxis
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QWidget

from app.services.models import ProjectTotal

MAX_BARS = 8


def chart_rows(projects: tuple[ProjectTotal, ...], max_bars: int = MAX_BARS) -> list[tuple[str, float]]:
    """(name, hours) for the chart: the biggest ``max_bars - 1`` projects and "Other" for the rest."""
    ordered = sorted(projects, key=lambda p: (-p.duration_seconds, p.project_name))
    if len(ordered) > max_bars:
        head, tail = ordered[: max_bars - 1], ordered[max_bars - 1:]
        rows = [(p.project_name, p.duration_seconds / 3600) for p in head]
        rows.append((f"Other ({len(tail)})", sum(p.duration_seconds for p in tail) / 3600))
    else:
        rows = [(p.project_name, p.duration_seconds / 3600) for p in ordered]
    return rows


class ProjectTimeChart(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(320, 220)
        self._chart = QChart()
        self._chart.legend().hide()
        self._chart.setMargins(QMargins(4, 4, 4, 4))
        self._chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.setChart(self._chart)
        self.rows: list[tuple[str, float]] = []
        self.apply_palette()

    def apply_palette(self) -> None:
        """Follow the application palette (dark or light) instead of QtCharts' own white theme."""
        palette = self.palette()
        self._chart.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        self._chart.setTitleBrush(palette.color(QPalette.ColorRole.Text))
        for axis in self._chart.axes():
            axis.setLabelsBrush(palette.color(QPalette.ColorRole.Text))
            axis.setGridLineColor(palette.color(QPalette.ColorRole.Mid))

    def show_projects(self, projects: tuple[ProjectTotal, ...]) -> None:
        self.rows = chart_rows(projects)
        self._chart.removeAllSeries()
        for axis in self._chart.axes():
            self._chart.removeAxis(axis)
        self._chart.setTitle("Hours per project" if self.rows else "No tasks yet")
        if not self.rows:
            return
        rows = list(reversed(self.rows))  # horizontal bars draw bottom-up: largest on top
        bar_set = QBarSet("hours")
        bar_set.append([hours for _name, hours in rows])
        bar_set.setColor(self.palette().color(QPalette.ColorRole.Highlight))
        bar_set.setLabelColor(self.palette().color(QPalette.ColorRole.Text))
        series = QHorizontalBarSeries()
        series.append(bar_set)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value h")
        series.setLabelsPrecision(3)
        series.setBarWidth(0.7)
        self._chart.addSeries(series)
        names = QBarCategoryAxis()
        names.append([name[:28] for name, _hours in rows])
        values = QValueAxis()
        values.setRange(0, max(hours for _name, hours in rows) * 1.2 or 1)
        values.setLabelFormat("%.0f")
        values.setTitleText("hours")
        self._chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
        self._chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(names)
        series.attachAxis(values)
        self.apply_palette()
