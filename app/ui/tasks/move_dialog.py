""""Move to week…": pick the week the selected tasks go to (weeks shown with their dates)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.domain.weeks import week_display
from app.errors import WfhError
from app.services.data_service import DataService
from app.ui.form_errors import error_label
from app.ui.undo import UndoHistory


class MoveToWeekDialog(QDialog):
    """Choose a target week for some tasks; moving is one DataService transaction (undoable).

    Signals:
        moved(int week_id): the tasks were moved to that week.
    """

    moved = Signal(int)

    def __init__(self, data: DataService, task_ids: list[int], current_week_id: int | None,
                 parent: QWidget | None = None, *, history: UndoHistory | None = None) -> None:
        super().__init__(parent)
        self._data = data
        self._task_ids = task_ids
        self._history = history
        self.setWindowTitle("Move to week")
        self.setMinimumSize(360, 320)
        count = len(task_ids)
        self.prompt = QLabel(f"Move {count:,} task{'s' if count != 1 else ''} to:")
        self.weeks = QListWidget()
        self.weeks.setObjectName("moveTargets")
        for week in data.list_weeks():
            if week.id == current_week_id:
                continue
            text = week_display(week.week_label, week.start_date)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, week.id)
            item.setToolTip(text)
            self.weeks.addItem(item)
        if self.weeks.count():
            self.weeks.setCurrentRow(0)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Move")
        self.ok_button.setEnabled(self.weeks.count() > 0)
        if not self.weeks.count():
            self.error.setText("There is no other week yet: create one first (Ctrl+Shift+N).")
            self.error.show()
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.weeks, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.try_move)
        self.buttons.rejected.connect(self.reject)
        self.weeks.itemDoubleClicked.connect(lambda _item: self.try_move())

    def select_week(self, week_id: int) -> bool:
        for row in range(self.weeks.count()):
            if self.weeks.item(row).data(Qt.ItemDataRole.UserRole) == week_id:
                self.weeks.setCurrentRow(row)
                return True
        return False

    def try_move(self) -> bool:
        item = self.weeks.currentItem()
        if item is None:
            return False
        target = int(item.data(Qt.ItemDataRole.UserRole))
        origins: dict[int, list[int]] = {}
        try:
            for task_id in self._task_ids:
                origins.setdefault(self._data.get_task(task_id).week_id, []).append(task_id)
            self._data.move_tasks(self._task_ids, target)
        except WfhError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return False
        if self._history is not None:
            count, data = len(self._task_ids), self._data  # the dialog is gone when this is undone
            self._history.push(f"Move {count:,} task{'s' if count != 1 else ''}",
                               lambda: [data.move_tasks(ids, week) for week, ids in origins.items()])
        self.moved.emit(target)
        self.accept()
        return True
