"""Statistics of one week from ``get_week_analytics``; refreshed when a ``DataService.changed`` names its week."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import Changes
from app.domain.models import ProjectTotal, WeekAnalytics
from app.domain.timeparse import format_duration
from app.errors import NotFoundError
from app.services.data_service import DataService
from app.services.reports import FALLBACK_CURRENCY, format_money
from app.ui.list_table_model import AnyIndex, ListTableModel
from app.ui.stats.chart import ProjectTimeChart

FIGURES = (
    ("total", "Total time"), ("tasks", "Tasks"), ("avg_duration", "Average duration"), ("avg_score", "Average score"),
    ("productivity", "Productivity score"), ("on_time", "Within time limit"), ("bonus", "Bonus"),
)
PRODUCTIVITY_MEANING = "average score × share of tasks within their limit"
TIPS = {
    "productivity": "Productivity score (0–100): the week's average score, scaled by the share of its tasks that "
                    "stayed within their time limit (a task without a limit counts as on time).\n"
                    "Every task on time: the score equals the average score; each overrun pulls it down.",
    "on_time": "Tasks that stayed within their time limit, of the tasks that have one.\n"
               "Tasks without a limit are not counted.",
    "avg_score": "Average of the task scores.",
    "bonus": "Bonus weeks pay the bonus rate for every hour beyond the threshold, shown in the currency of "
             "Settings → General → Bonus currency.",
}


class ProjectTableModel(ListTableModel):
    """The per-project table of the Statistics tab."""

    HEADERS = ("Project", "Time", "Tasks", "Share")

    def __init__(self) -> None:
        super().__init__()
        self._total = 0

    def set_projects(self, projects: tuple[ProjectTotal, ...]) -> None:
        self._total = sum(p.duration_seconds for p in projects)
        self.set_items(projects)  # a handful of rows, replaced together with the chart

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        project = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            share = project.duration_seconds / self._total * 100 if self._total else 0.0
            return (project.project_name, format_duration(project.duration_seconds),
                    str(project.task_count), f"{share:.1f} %")[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None


class StatisticsView(QWidget):
    """The Statistics tab of one week: totals, the per-project table and chart. Signals: none."""

    def __init__(self, data_service: DataService, parent: QWidget | None = None,
                 currency: Callable[[], str] = lambda: FALLBACK_CURRENCY) -> None:
        super().__init__(parent)
        self._data = data_service
        self._currency = currency
        self.week_id: int | None = None
        self.analytics: WeekAnalytics | None = None
        self.values: dict[str, QLabel] = {}
        figures = QGridLayout()
        for position, (key, caption) in enumerate(FIGURES):
            figures.addWidget(self._figure(key, caption), position // 4, position % 4)
        self.chart = ProjectTimeChart()
        self.project_model = ProjectTableModel()
        self.project_table = QTableView()
        self.project_table.setModel(self.project_model)
        self.project_table.verticalHeader().hide()
        self.project_table.setAlternatingRowColors(True)
        self.project_table.setWordWrap(False)
        header = self.project_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("statsSplitter")
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.project_table)
        self.splitter.setSizes([620, 380])
        layout = QVBoxLayout(self)
        layout.addLayout(figures)
        layout.addWidget(self.splitter, 1)
        self._connect_signals()
        self.show_week(None)

    def _figure(self, key: str, caption: str) -> QFrame:
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(frame)
        # the caption keeps the palette's own text colour: a fixed "placeholder" grey was barely readable on dark
        title = QLabel(caption)
        title.setObjectName(f"caption_{key}")
        value = QLabel("–")
        value.setObjectName(f"stat_{key}")
        font = value.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        value.setFont(font)
        box.addWidget(title)
        box.addWidget(value)
        if key == "productivity":
            meaning = QLabel(PRODUCTIVITY_MEANING)
            meaning.setObjectName("productivityMeaning")
            meaning.setWordWrap(True)
            box.addWidget(meaning)
        tip = TIPS.get(key)
        if tip:
            frame.setToolTip(tip)
        self.values[key] = value
        return frame

    def _connect_signals(self) -> None:
        self._data.changed.connect(self._on_changed)

    @Slot(object)
    def _on_changed(self, changes: Changes) -> None:
        if changes.touches_week(self.week_id):
            self.show_week(self.week_id)

    def show_week(self, week_id: int | None) -> None:
        self.week_id = week_id or None
        try:
            self.analytics = self._data.get_week_analytics(self.week_id) if self.week_id else None
        except NotFoundError:
            self.week_id, self.analytics = None, None
        a = self.analytics
        if a is None:
            for label in self.values.values():
                label.setText("–")
            self.project_model.set_projects(())
            self.chart.show_projects(())
            return
        self.values["total"].setText(format_duration(a.total_duration_seconds))
        self.values["tasks"].setText(f"{a.total_tasks:,}")
        self.values["avg_duration"].setText(format_duration(round(a.avg_task_duration)))
        self.values["avg_score"].setText(f"{a.avg_score:.1f}")
        self.values["productivity"].setText(f"{a.productivity_score:.1f}")
        self.values["on_time"].setText(self._limit_text(a))
        self.values["bonus"].setText(self._bonus_text(a, self._currency()))
        self.project_model.set_projects(a.projects)
        self.chart.show_projects(a.projects)

    @staticmethod
    def _limit_text(a: WeekAnalytics) -> str:
        """Only tasks that have a limit count: "2 of 3", or "no limits set"."""
        if a.limited_tasks <= 0:
            return "no limits set"
        return f"{a.within_limit_tasks:,} of {a.limited_tasks:,}"

    @staticmethod
    def _bonus_text(a: WeekAnalytics, currency: str) -> str:
        if not a.is_bonus_week:
            return "not a bonus week"
        if a.bonus_eligible_seconds <= 0:
            missing = max(0, a.bonus_threshold_seconds - a.total_duration_seconds)
            return f"{format_duration(missing)} to go"
        return f"{format_money(a.bonus_amount, currency)} for {format_duration(a.bonus_eligible_seconds)}"

    def set_live(self, week_id: int | None, seconds: int = 0) -> None:
        """While the timer runs: the total includes its seconds not yet stored (None: the timer stopped)."""
        a = self.analytics
        if a is None:
            return
        live = max(0, seconds) if week_id == self.week_id else 0
        self.values["total"].setText(format_duration(a.total_duration_seconds + live))
