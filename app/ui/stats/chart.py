"""Horizontal bar chart of hours per project (largest first; the tail grouped as "Other")."""

from __future__ import annotations

import math

from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QChart, QChartView, QHorizontalBarSeries, QValueAxis
from PySide6.QtCore import QEvent, QMargins, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QWidget

from app.domain.models import ProjectTotal

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


def nice_step(maximum: float) -> float:
    """A round tick interval giving about five ticks up to ``maximum`` (0.5, 1, 2, 5, 10 …)."""
    raw = max(maximum, 0.1) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


class ProjectTimeChart(QChartView):
    """One series and two axes created once; ``show_projects`` only replaces their values."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(320, 220)
        self._chart = QChart()
        self._chart.legend().hide()
        self._chart.setMargins(QMargins(4, 4, 4, 4))
        self._chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self._bars = QBarSet("hours")
        self._series = QHorizontalBarSeries()
        self._series.append(self._bars)
        self._series.setLabelsVisible(True)
        self._series.setLabelsFormat("@value h")
        self._series.setLabelsPrecision(3)
        self._series.setBarWidth(0.7)
        self._series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        self._names = QBarCategoryAxis()
        self._hours = QValueAxis()
        self._hours.setTitleText("hours")
        self._hours.setTickType(QValueAxis.TickType.TicksDynamic)
        self._hours.setTickAnchor(0)
        self._chart.addSeries(self._series)
        self._chart.addAxis(self._names, Qt.AlignmentFlag.AlignLeft)
        self._chart.addAxis(self._hours, Qt.AlignmentFlag.AlignBottom)
        self._series.attachAxis(self._names)
        self._series.attachAxis(self._hours)
        self.setChart(self._chart)
        self.rows: list[tuple[str, float]] = []
        self.apply_palette()

    def apply_palette(self) -> None:
        """Follow the application palette (dark or light) instead of QtCharts' own white theme."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        self._chart.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        self._chart.setTitleBrush(text)
        for axis in (self._names, self._hours):
            axis.setLabelsBrush(text)
            axis.setTitleBrush(text)
            axis.setGridLineColor(palette.color(QPalette.ColorRole.Mid))
        self._bars.setColor(palette.color(QPalette.ColorRole.Highlight))
        self._bars.setLabelColor(text)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()

    def show_projects(self, projects: tuple[ProjectTotal, ...]) -> None:
        self.rows = chart_rows(projects)
        rows = list(reversed(self.rows))  # horizontal bars draw bottom-up: largest on top
        self._chart.setTitle("Hours per project" if rows else "No tasks yet")
        if self._bars.count():
            self._bars.remove(0, self._bars.count())
        self._names.clear()
        self._bars.append([hours for _name, hours in rows])
        self._names.append([name if len(name) <= 28 else name[:27] + "…" for name, _hours in rows])
        top = max((hours for _name, hours in rows), default=1.0)
        headroom = top * 1.3  # room for the value label after the longest bar
        step = nice_step(headroom)
        self._hours.setTickInterval(step)
        self._hours.setRange(0, math.ceil(headroom / step) * step)
        self._hours.setLabelFormat("%.0f" if step >= 1 else "%.1f")
        for item in (self._series, self._names, self._hours):
            item.setVisible(bool(rows))
