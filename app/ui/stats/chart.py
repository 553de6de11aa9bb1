"""Bar chart of the time per project of one week, largest first (the tail summed as "Other").

Drawn by the Reports tab's QPainter chart, so times read HH:MM:SS like everywhere else (QtCharts could only
label bars with decimal hours such as "0.761 h") and colours follow the light or dark palette.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.domain.models import ProjectTotal
from app.ui.reports.chart import MAX_BARS, Bar, ReportChart


def chart_rows(projects: tuple[ProjectTotal, ...], max_bars: int = MAX_BARS) -> list[tuple[str, int]]:
    """(name, seconds) for the chart: the biggest ``max_bars - 1`` projects and "Other (n)" for the rest."""
    ordered = sorted(projects, key=lambda p: (-p.duration_seconds, p.project_name))
    rows = [(p.project_name, p.duration_seconds) for p in ordered]
    if len(rows) > max_bars:
        tail = rows[max_bars - 1:]
        rows = [*rows[: max_bars - 1], (f"Other ({len(tail)})", sum(seconds for _name, seconds in tail))]
    return rows


class ProjectTimeChart(ReportChart):
    """Time per project of the selected week. Signals: none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, int]] = []
        self.empty_text = "No tasks yet"

    def show_projects(self, projects: tuple[ProjectTotal, ...]) -> None:
        self.rows = chart_rows(projects)
        self.timeline = False
        self.bars = [Bar(name, seconds) for name, seconds in self.rows]
        self.setToolTip("\n".join(f"{name[:60]}: {Bar(name, s).hhmmss}" for name, s in self.rows))
        self.update()
