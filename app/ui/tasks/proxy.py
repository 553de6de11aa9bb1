"""Filter and sort over the task model: free text over project/attempt/operation/feedback,
plus an exact project filter. Sorting uses the raw values (seconds, scores), not the text."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from app.ui.tasks.model import SortRole, TaskTableModel


class TaskFilterProxy(QSortFilterProxyModel):
    """Filters the task table by text and project without touching the model's rows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._project: str | None = None
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)  # re-filters edited rows; sorting itself is the source model's

    def set_text_filter(self, text: str) -> None:
        text = text.strip().casefold()
        if text != self._text:
            self.beginFilterChange()
            self._text = text
            self.endFilterChange()

    def set_project_filter(self, project: str | None) -> None:
        if project != self._project:
            self.beginFilterChange()
            self._project = project or None
            self.endFilterChange()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in the source model (one Python list sort) instead of n·log n data() calls from C++."""
        model = self.sourceModel()
        assert isinstance(model, TaskTableModel)
        model.sort(column, order)

    def is_filtering(self) -> bool:
        return bool(self._text or self._project)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._text and not self._project:
            return True
        model = self.sourceModel()
        assert isinstance(model, TaskTableModel)
        task = model.task_at(source_row)
        if self._project is not None and task.project_name != self._project:
            return False
        if self._text:
            haystack = " ".join(
                v for v in (task.project_name, task.attempt_id, task.operation_id, task.feedback) if v
            ).casefold()
            return self._text in haystack
        return True
