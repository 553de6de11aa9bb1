"""The Reports tab: a preset or custom date range, a grouping, the totals, a chart, a table and exports.

The report is built on a worker thread with its own connection (a year of 100,000 tasks takes longer
than a frame); a newer request makes an older result stale, so a slow build never overwrites a newer
one. A ``DataService.changed`` rebuilds it when the tab is visible, else when it is next shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import Changes
from app.domain.reports import GROUPINGS, PRESETS, DateRange, Report, ReportRow, preset_range
from app.domain.timeparse import format_duration
from app.errors import ValidationError, WfhError
from app.profile import Profile
from app.services import reports
from app.services.data_service import DataService
from app.ui.background import BackgroundTask, JobControl
from app.ui.file_dialogs import save_file
from app.ui.list_table_model import AnyIndex, ListTableModel
from app.ui.reports.chart import ReportChart
from app.ui.reports.export import EXPORT_KINDS, FILTERS, export_report
from app.ui.state import UiState

CUSTOM = "custom"
COLUMN_SAMPLES = ("100,000", "1000:00:00", "no score", "9,999 of 9,999 (100 %)", "99,999.00 USD")
REFRESH_DELAY_MS = 150  # several writes in a row (timer ticks, imports) rebuild once
COLUMN_TIPS = (
    "Project, week, day or locale",
    "Number of tasks (deleted tasks are not counted)",
    "Total time, HH:MM:SS",
    "Average score of the tasks that have one (tasks without a score are left out)",
    "Tasks within their time limit, of those that have a limit",
    "The range's share of each week's bonus, in proportion to time",
)


class ReportTableModel(ListTableModel):
    """Rows of the current report; the total is shown in the summary line above."""

    HEADERS = ("Group", "Tasks", "Time", "Avg score", "Within limit", "Bonus")

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, ...]] = []

    def show_rows(self, rows: tuple[ReportRow, ...], currency: str) -> None:
        """Format every cell once: painting then only looks strings up (a year of days repainted slowly)."""
        self.cells = [(row.label, f"{row.task_count:,}", format_duration(row.duration_seconds),
                       reports.score_text(row.avg_score), reports.compliance_text(row),
                       reports.format_money(row.bonus, currency)) for row in rows]
        self.set_items(rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole or (role == Qt.ItemDataRole.ToolTipRole and index.column() == 0):
            return self.cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_TIPS[section]
        return super().headerData(section, orientation, role)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class ReportsView(QWidget):
    """The Reports tab (range, grouping, summary, chart, table, export buttons). Signals: none."""

    def __init__(self, profile: Profile, data: DataService, state: UiState,
                 today: Callable[[], date] = date.today, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._profile = profile
        self._state = state
        self._today = today
        self.report: Report | None = None
        self.jobs: list[BackgroundTask] = []
        self._generation = 0
        self._dirty = True
        self.preset = QComboBox()
        self.preset.setObjectName("reportPreset")
        for key, caption in PRESETS.items():
            self.preset.addItem(caption, key)
        self.preset.addItem("Custom range", CUSTOM)
        self.start_edit, self.end_edit = self._date_edit("reportFrom"), self._date_edit("reportTo")
        self.grouping = QComboBox()
        self.grouping.setObjectName("reportGrouping")
        for key in GROUPINGS:
            self.grouping.addItem(f"by {key}", key)
        self.export_buttons = {kind: QPushButton(f"Export {kind.upper()}…") for kind in EXPORT_KINDS}
        for button in self.export_buttons.values():
            button.setEnabled(False)  # until a report is shown
        self.summary = QLabel("–")
        self.summary.setObjectName("reportSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel()
        self.error.setObjectName("reportError")
        self.error.setStyleSheet("color: #e05050;")
        self.error.hide()
        self.chart = ReportChart()
        self.model = ReportTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        self._fit_columns(header)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.table)
        self.splitter.setSizes([300, 400])
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._layout()
        self._connect_signals(data)
        self._apply_preset()

    def _fit_columns(self, header: QHeaderView) -> None:
        """Widths from the widest text a column can hold, set once: measuring every row on each new report (a
        year of days) stalled the window for a tenth of a second."""
        metrics = self.table.fontMetrics()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, metrics.horizontalAdvance("2026-11-26 (Wed) · a long project name"))
        header.setStretchLastSection(True)  # the group keeps a readable width; a narrow window scrolls
        for column, sample in enumerate(COLUMN_SAMPLES, start=1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(ReportTableModel.HEADERS[column]))
            header.resizeSection(column, width + 24)

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def _layout(self) -> None:
        # short rows, not one long one: the window must still fit an 800-pixel-wide screen
        controls = QGridLayout()
        cells: tuple[tuple[str, QWidget], ...] = (("Range", self.preset), ("Group", self.grouping),
                                                  ("From", self.start_edit), ("To", self.end_edit))
        for index, (caption, widget) in enumerate(cells):
            row, column = divmod(index, 2)
            controls.addWidget(QLabel(caption), row, column * 2)
            controls.addWidget(widget, row, column * 2 + 1)
        controls.setColumnStretch(4, 1)
        exports = QVBoxLayout()
        for button in self.export_buttons.values():
            exports.addWidget(button)
        top = QHBoxLayout()
        top.addLayout(controls, 1)
        top.addLayout(exports)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)

    def _connect_signals(self, data: DataService) -> None:
        self.preset.currentIndexChanged.connect(self._apply_preset)
        self.start_edit.dateChanged.connect(self._dates_edited)
        self.end_edit.dateChanged.connect(self._dates_edited)
        self.grouping.currentIndexChanged.connect(self._request_refresh)
        self._refresh_timer.timeout.connect(self.refresh)
        data.changed.connect(self._on_changed)
        for kind, button in self.export_buttons.items():
            button.clicked.connect(lambda _checked=False, k=kind: self.export(k))

    # ---- range and grouping ----------------------------------------------------------------
    @Slot()
    def _apply_preset(self) -> None:
        key = self.preset.currentData()
        if key == CUSTOM:
            return
        span = preset_range(key, self._today())
        for edit, day in ((self.start_edit, span.start), (self.end_edit, span.end)):
            edit.blockSignals(True)
            edit.setDate(_qdate(day))
            edit.blockSignals(False)
        self._request_refresh()

    @Slot()
    def _request_refresh(self) -> None:
        """Rebuild now when the tab is shown, else when it is next shown (a hidden tab costs nothing)."""
        if self.isVisible():
            self.refresh()
        else:
            self._dirty = True

    @Slot()
    def _dates_edited(self) -> None:
        custom = self.preset.findData(CUSTOM)
        if self.preset.currentIndex() != custom:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(custom)
            self.preset.blockSignals(False)
        self._request_refresh()

    def set_range(self, start: date, end: date) -> None:
        """Show a custom range (the CLI's --from/--to in the window; tests)."""
        self.start_edit.setDate(_qdate(start))
        self.end_edit.setDate(_qdate(end))

    def set_grouping(self, by: str) -> None:
        self.grouping.setCurrentIndex(self.grouping.findData(by))

    def current_range(self) -> DateRange:
        return DateRange(_pydate(self.start_edit.date()), _pydate(self.end_edit.date()))

    # ---- building ---------------------------------------------------------------------------
    @Slot(object)
    def _on_changed(self, _changes: Changes) -> None:
        self._dirty = True
        if self.isVisible():
            self._refresh_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    @Slot()
    def refresh(self) -> BackgroundTask | None:
        """Build the report for the current controls on a worker thread; None when the range is invalid."""
        self._refresh_timer.stop()
        self._generation += 1
        try:
            span = self.current_range()
        except ValidationError as exc:
            self._show_error(str(exc))
            return None
        self.error.hide()
        self._dirty = False
        by = str(self.grouping.currentData())
        currency = reports.resolve_currency(self._profile.settings.get("display.currency"))
        profile, generation = self._profile, self._generation

        def build(_control: JobControl) -> Report:
            try:
                return reports.build_report(profile.db.get(), span, by, currency)
            finally:
                profile.db.close_thread()

        self.summary.setText("Building the report…")
        job = BackgroundTask(build, self)
        job.finished.connect(lambda result: self._show(result, generation))
        job.failed.connect(lambda message: self._show_error(message, generation))
        job.finished.connect(lambda _r: self._forget(job))
        job.failed.connect(lambda _m: self._forget(job))
        self.jobs.append(job)
        job.start()
        return job

    def _forget(self, job: BackgroundTask) -> None:
        if job in self.jobs:
            self.jobs.remove(job)

    def _show(self, report: Report, generation: int) -> None:
        if generation != self._generation:
            return  # a newer request is on its way
        self.report = report
        self.model.show_rows(report.rows, report.currency)
        self.chart.show_report(report.rows, report.by)
        self.summary.setText(summary_text(report))
        for button in self.export_buttons.values():
            button.setEnabled(True)

    def _show_error(self, message: str, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return
        self.error.setText(message)
        self.error.show()
        self.summary.setText("–")

    # ---- export -----------------------------------------------------------------------------
    def export(self, kind: str, path: Path | None = None) -> bool:
        """Export the shown report; asks for a file unless ``path`` is given. False when nothing was written."""
        report = self.report
        if report is None:
            return False
        if path is None:
            name = f"report-{report.range.start}-{report.range.end}-by-{report.by}.{kind}"
            path = save_file(self, self._state, "Export report", name, FILTERS[kind])
            if path is None:
                return False
        try:
            export_report(report, path, kind)
        except WfhError as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
            return False
        self.summary.setText(f"{summary_text(report)}\nExported to {path}.")
        return True


def summary_text(report: Report) -> str:
    """The total in one line: time, tasks, average score, limits, bonus."""
    total = report.total
    return (f"{report.range.start} – {report.range.end}: {format_duration(total.duration_seconds)} in "
            f"{total.task_count:,} tasks · average score {reports.score_text(total.avg_score)} · within time limit "
            f"{reports.compliance_text(total)} · bonus {reports.format_money(total.bonus, report.currency)}")
