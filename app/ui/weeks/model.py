"""Weeks list model (chronological, newest first; undated weeks last), updated row by row.

A dated week reads "2026-W48 · Nov 23–29"; every label has its full text as tooltip (long ones are
elided in the list). While the timer runs, ``set_live`` adds its seconds to that week's total so the
total moves every second without a database read.

A change set naming a week (a task edit, a week edit) updates that one row from
two cached reads. When weeks are added or removed the list is re-read and compared with what is
shown: a single added or removed week is an insert/remove; only a bulk change resets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Slot

from app.domain.changes import Changes
from app.domain.models import WeekSummary
from app.domain.timeparse import format_duration
from app.domain.weeks import week_display
from app.services.data_service import DataService

WeekIdRole = Qt.ItemDataRole.UserRole + 1
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
HEADERS = ("Week", "Time", "Tasks")
AnyIndex = QModelIndex | QPersistentModelIndex


class WeekListModel(QAbstractTableModel):
    """The weeks list (newest first, with total time and task count), kept current from change sets."""

    def __init__(self, data_service: DataService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._weeks: list[WeekSummary] = list(data_service.list_weeks())
        self._live_week: int | None = None
        self._live_seconds = 0
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._data.changed.connect(self._on_changed)

    @Slot(object)
    def _on_changed(self, changes: Changes) -> None:
        if changes.bulk or changes.weeks_created or changes.weeks_deleted:
            self.refresh()
            return
        for week_id in changes.weeks_updated:
            self._on_week_changed(week_id)

    def _on_week_changed(self, week_id: int) -> None:
        """One week's label or totals changed: update its row from two cached reads, not the whole list."""
        row = self.row_of(week_id)
        week = self._data.get_week_data(week_id)
        if row is None or week is None:
            self.refresh()
            return
        if week.start_date != self._weeks[row].start_date:  # its place in the order may change
            self.refresh()
            return
        totals = self._data.get_week_analytics(week_id, "totals")
        updated = replace(self._weeks[row], week_label=week.week_label, is_bonus_week=week.is_bonus_week,
                          total_duration_seconds=int(totals["total_duration_seconds"]),
                          task_count=int(totals["total_tasks"]))
        if updated != self._weeks[row]:
            self._weeks[row] = updated
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._weeks)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        week = self._weeks[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return week_display(week.week_label, week.start_date) + ("  ★" if week.is_bonus_week else "")
            if index.column() == 1:
                live = self._live_seconds if week.id == self._live_week else 0
                return format_duration(week.total_duration_seconds + live)
            return str(week.task_count)
        if role == WeekIdRole:
            return week.id
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return week_display(week.week_label, week.start_date) + ("\nBonus week" if week.is_bonus_week else "")
        return None

    def set_live(self, week_id: int | None, seconds: int = 0) -> None:
        """The running timer's seconds not yet stored, shown on top of ``week_id``'s total (None: no timer)."""
        previous = self._live_week
        self._live_week, self._live_seconds = week_id, max(0, seconds) if week_id is not None else 0
        for changed in dict.fromkeys((previous, week_id)):
            row = None if changed is None else self.row_of(changed)
            if row is not None:
                self.dataChanged.emit(self.index(row, 1), self.index(row, 1))

    def week_at(self, row: int) -> WeekSummary:
        return self._weeks[row]

    def row_of(self, week_id: int) -> int | None:
        return next((row for row, week in enumerate(self._weeks) if week.id == week_id), None)

    @Slot()
    def refresh(self) -> None:
        new = list(self._data.list_weeks())
        old_ids = [w.id for w in self._weeks]
        new_ids = [w.id for w in new]
        if old_ids == new_ids:
            for row, (before, after) in enumerate(zip(self._weeks, new, strict=True)):
                if before != after:
                    self._weeks[row] = after
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
            return
        if len(new_ids) == len(old_ids) + 1:
            row = next((i for i, (a, b) in enumerate(zip(old_ids, new_ids, strict=False)) if a != b), len(old_ids))
            if new_ids[:row] + new_ids[row + 1:] == old_ids:
                self.beginInsertRows(QModelIndex(), row, row)
                self._weeks.insert(row, new[row])
                self.endInsertRows()
                return
        if len(new_ids) == len(old_ids) - 1:
            row = next((i for i, (a, b) in enumerate(zip(old_ids, new_ids, strict=False)) if a != b), len(new_ids))
            if old_ids[:row] + old_ids[row + 1:] == new_ids:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._weeks[row]
                self.endRemoveRows()
                return
        self.beginResetModel()
        self._weeks = new
        self.endResetModel()
