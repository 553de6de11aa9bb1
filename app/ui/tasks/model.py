"""Table model over one week's tasks, loaded in pages and kept current from DataService signals.

Rows mirror the week's newest-first order, so the next page's offset is simply the number of
rows held. Changes arrive as one ``DataService.changed(Changes)`` per write and touch only their rows:
an edit emits ``dataChanged`` for one row, never ``modelReset``. Only switching weeks, a bulk change
or a write that created more than ``RELOAD_AFTER`` rows of this week resets the model (one re-read
instead of a lookup and an insert per row).

Signals: weekLoaded(int week_id) after the first page of a week is in.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QColor

from app.domain.changes import Changes
from app.domain.models import Task
from app.domain.timeparse import format_duration
from app.errors import NotFoundError
from app.services.data_service import DataService
from app.ui.tasks.columns import COLUMNS, DURATION_COLUMN

TaskRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
OVER_LIMIT_COLOUR = QColor(224, 64, 64, 90)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_DISPLAY = Qt.ItemDataRole.DisplayRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_HANDLED_ROLES = frozenset(int(r) for r in (_DISPLAY, _BACKGROUND, _ALIGNMENT, Qt.ItemDataRole.ToolTipRole,
                                            TaskRole, SortRole))
_NUMERIC = {"duration", "time_limit", "score"}

AnyIndex = QModelIndex | QPersistentModelIndex
RELOAD_AFTER = 20  # created rows of the shown week above which one reload is cheaper than row inserts


def _with_origin(tip: str | None, task: Task) -> str | None:
    """Adds "from DESKTOP-2" to the tooltip of a version received from another device. The name comes from that
    device, so the tooltip becomes explicit rich text with every part escaped (Qt would render a name that looks
    like HTML as HTML)."""
    if not task.origin_device:
        return tip
    origin = f"from {html.escape(task.origin_device)}"
    if tip is None:
        return f"<qt>{origin}</qt>"
    return f"<qt>{html.escape(tip).replace(chr(10), '<br>')}<br>{origin}</qt>"


def _order_key(task: Task) -> tuple[str, int]:
    return (task.created_at, task.id)


class TaskTableModel(QAbstractTableModel):
    """The shown week's tasks, newest first (or in the chosen sort order), loaded page by page.

    Signals:
        weekLoaded(int week_id): the first page of a week is in.
    """

    weekLoaded = Signal(int)

    PAGE_SIZE = 500

    def __init__(self, data_service: DataService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self.week_id: int | None = None
        self._rows: list[Task] = []
        self._row_of: dict[int, int] | None = None
        self._total = 0
        self._live: tuple[int, int] | None = None  # (task id, running seconds) of the timer
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._data.changed.connect(self._on_changed)

    # ---- loading -------------------------------------------------------------------------
    def load_week(self, week_id: int | None) -> None:
        """Show ``week_id`` (or nothing): one reset, then only the first page is read."""
        self.beginResetModel()
        self.week_id = week_id
        self._rows = []
        self._row_of = None
        self._total = 0
        if week_id is not None:
            try:
                self._total = self._data.count_week_tasks(week_id)
                if self._sort is None:
                    self._rows = list(self._data.get_week_tasks(week_id, self.PAGE_SIZE, 0))
                else:  # a sorted table needs every row before it can show the first one
                    self._rows = list(self._data.get_week_tasks(week_id))
                    self._total = len(self._rows)
                    self._sort_rows()
            except NotFoundError:
                self.week_id = None
        self.endResetModel()
        if self.week_id is not None:
            self.weekLoaded.emit(self.week_id)

    @Slot()
    def reload(self) -> None:
        self.load_week(self.week_id)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.week_id is not None and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self.week_id is not None
        page = self._data.get_week_tasks(self.week_id, self.PAGE_SIZE, len(self._rows))
        if not page:
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self._row_of = None
        self.endInsertRows()

    def fetch_all(self) -> None:
        """Load the remaining pages (filtering and sorting must see every task)."""
        while self.canFetchMore():
            self.fetchMore()

    # ---- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].header
        return None

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if role not in _HANDLED_ROLES or not index.isValid():  # most calls: roles we never answer
            return None
        task = self._rows[index.row()]
        column_index = index.column()
        if role == _DISPLAY:
            if column_index == DURATION_COLUMN and self._is_live(task):
                return "▶ " + format_duration(self.effective_duration(task))
            return COLUMNS[column_index].display(task)
        if role == _BACKGROUND:
            return OVER_LIMIT_COLOUR if self.is_over_limit(task) else None
        if role == _ALIGNMENT:
            return _RIGHT if COLUMNS[column_index].key in _NUMERIC else None
        if role == SortRole:
            if column_index == DURATION_COLUMN:
                return self.effective_duration(task)
            return COLUMNS[column_index].sort_key(task)
        if role == TaskRole:
            return task
        tip = None  # tooltip
        if self.is_over_limit(task):
            tip = f"Over its time limit of {task.time_limit_display}"
        elif COLUMNS[column_index].key == "feedback" and task.feedback:
            tip = task.feedback
        return _with_origin(tip, task)

    # ---- sorting (done here, on the Python list: far cheaper than per-comparison data() calls) ----
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort every task of the week by ``column``; rows keep their place after later edits."""
        if not 0 <= column < len(COLUMNS):
            self._sort = None
            return
        self._sort = (column, order)
        self.fetch_all()
        self.layoutAboutToBeChanged.emit()
        old_ids = [t.id for t in self._rows]
        self._sort_rows()
        self._row_of = {task.id: row for row, task in enumerate(self._rows)}
        persistent = self.persistentIndexList()
        if persistent:
            new_row = self._row_of
            self.changePersistentIndexList(
                persistent,
                [self.index(new_row[old_ids[i.row()]], i.column()) if i.isValid() else i for i in persistent],
            )
        self.layoutChanged.emit()

    @property
    def sort_column(self) -> int | None:
        return self._sort[0] if self._sort else None

    def _sort_rows(self) -> None:
        assert self._sort is not None
        column, order = self._sort
        key = COLUMNS[column].sort_key
        self._rows.sort(key=lambda t: (key(t), t.id), reverse=order == Qt.SortOrder.DescendingOrder)

    # ---- lookups -------------------------------------------------------------------------
    def task_at(self, row: int) -> Task:
        return self._rows[row]

    def row_of(self, task_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {task.id: row for row, task in enumerate(self._rows)}
        return self._row_of.get(task_id)

    def total_count(self) -> int:
        return self._total

    def project_names(self) -> list[str]:
        return sorted({t.project_name for t in self._rows if t.project_name})

    def effective_duration(self, task: Task) -> int:
        if self._is_live(task):
            assert self._live is not None
            return task.duration_seconds + self._live[1]
        return task.duration_seconds

    def is_over_limit(self, task: Task) -> bool:
        return task.time_limit_seconds > 0 and self.effective_duration(task) > task.time_limit_seconds

    def _is_live(self, task: Task) -> bool:
        return self._live is not None and self._live[0] == task.id

    # ---- live timer ----------------------------------------------------------------------
    def set_live_elapsed(self, task_id: int | None, seconds: int = 0) -> None:
        """Show a running timer's seconds on top of the task's stored duration (None clears)."""
        old = self._live[0] if self._live else None
        self._live = None if task_id is None else (task_id, seconds)
        for changed in {old, task_id} - {None}:
            assert changed is not None
            self._emit_row_changed(changed)

    # ---- DataService signals -------------------------------------------------------------
    @Slot(object)
    def _on_changed(self, changes: Changes) -> None:
        """Follow a write row by row; re-read once when it was bulk or created many rows of this week."""
        if self.week_id is None:
            return
        if self.week_id in changes.weeks_deleted:
            self.load_week(None)
            return
        many_here = len(changes.tasks_created) > RELOAD_AFTER and self.week_id in changes.weeks_updated
        if changes.bulk or many_here:
            self.reload()
            return
        for task_id in changes.tasks_deleted:
            self._on_task_deleted(task_id)
        for task_id in changes.tasks_created:
            self._on_task_created(task_id)
        for task_id in changes.tasks_updated:
            self._on_task_updated(task_id)

    def _on_task_created(self, task_id: int) -> None:
        if self.week_id is None:
            return
        try:
            task = self._data.get_task(task_id)
        except NotFoundError:
            return
        if task.week_id == self.week_id:
            self._insert_in_order(task)

    def _on_task_updated(self, task_id: int) -> None:
        row = self.row_of(task_id)
        try:
            task = self._data.get_task(task_id)
        except NotFoundError:
            task = None
        if row is not None and (task is None or task.week_id != self.week_id):
            self._remove_row(row)
        elif row is not None and task is not None:
            self._rows[row] = task
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        elif task is not None and task.week_id == self.week_id:
            self._insert_in_order(task)

    def _on_task_deleted(self, task_id: int) -> None:
        row = self.row_of(task_id)
        if row is not None:
            self._remove_row(row)
        elif self.week_id is not None and self.canFetchMore():
            # Maybe a task of a page not loaded yet: recount so paging and the count stay right.
            self._total = max(len(self._rows), self._data.count_week_tasks(self.week_id))

    def _insert_in_order(self, task: Task) -> None:
        if self._sort is not None:
            column, order = self._sort
            sort_key = COLUMNS[column].sort_key
            new = (sort_key(task), task.id)
            descending = order == Qt.SortOrder.DescendingOrder
            position = next((i for i, row in enumerate(self._rows)
                             if ((sort_key(row), row.id) < new if descending else (sort_key(row), row.id) > new)),
                            len(self._rows))
        else:
            key = _order_key(task)
            position = next((i for i, row in enumerate(self._rows) if _order_key(row) < key), len(self._rows))
        self._total += 1
        if position == len(self._rows) and len(self._rows) < self._total - 1:
            return  # belongs to a page not loaded yet; fetchMore will bring it
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, task)
        self._row_of = None
        self.endInsertRows()

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._row_of = None
        self._total = max(0, self._total - 1)
        self.endRemoveRows()

    def _emit_row_changed(self, task_id: int) -> None:
        row = self.row_of(task_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
