"""Weeks side panel: the list plus New/Edit/Delete. Deleting says how many tasks go with it.

Signals: weekSelected(int week_id) — 0 when no week is selected.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableView, QVBoxLayout, QWidget

from app.domain.changes import Changes
from app.errors import WfhError
from app.services.data_service import DataService
from app.ui.confirm import Confirmer, ask_with_message_box
from app.ui.errors import show_error
from app.ui.undo import UndoHistory
from app.ui.weeks.dialog import WeekDialog
from app.ui.weeks.model import WeekListModel

UNDO_WEEK_TASKS = 20_000  # a bigger week's delete is not kept for undo (its snapshot would be held in memory)


class WeeksPanel(QWidget):
    """The weeks list on the left with New/Edit/Delete; keeps the selection across refreshes.

    Signals:
        weekSelected(int week_id): the selected week changed (0 when none is selected).
    """

    weekSelected = Signal(int)

    def __init__(self, data_service: DataService, confirm: Confirmer = ask_with_message_box,
                 parent: QWidget | None = None, *, history: UndoHistory | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._confirm = confirm
        self.history = history
        self.model = WeekListModel(data_service, self)
        self.table = QTableView()
        self.table.setObjectName("weeksTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # long labels are elided, rows keep one line
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # the label first; the tooltip has it all
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()  # fixed widths: ResizeToContents re-measures every row on each change
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, metrics.horizontalAdvance("000:00:00") + 16)
        header.resizeSection(2, max(metrics.horizontalAdvance("Tasks"), metrics.horizontalAdvance("00,000")) + 16)
        self.new_button = QPushButton("New week…")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._last_emitted = 0
        self._before_reset = 0
        self._connect_signals()
        self._update_buttons()

    def _connect_signals(self) -> None:
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._on_current_changed())
        self.model.rowsRemoved.connect(lambda *_: self._on_current_changed())
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)
        self.table.doubleClicked.connect(lambda _index: self.open_edit_dialog())
        self.new_button.clicked.connect(self.open_new_dialog)
        self.edit_button.clicked.connect(self.open_edit_dialog)
        self.delete_button.clicked.connect(self.delete_selected)
        self._data.changed.connect(self._on_changed)

    @Slot(object)
    def _on_changed(self, changes: Changes) -> None:
        if changes.weeks_created and not changes.bulk:
            self.select_week(changes.weeks_created[-1])

    def selected_week_id(self) -> int:
        index = self.table.currentIndex()
        return self.model.week_at(index.row()).id if index.isValid() else 0

    def select_week(self, week_id: int) -> bool:
        row = self.model.row_of(week_id)
        if row is None:
            return False
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)
        return True

    def select_first(self) -> None:
        if self.model.rowCount() and not self.selected_week_id():
            self.select_week(self.model.week_at(0).id)

    @Slot()
    def _remember_selection(self) -> None:
        self._before_reset = self.selected_week_id()

    @Slot()
    def _restore_selection(self) -> None:
        """After a bulk change (import) keep the same week selected, or the newest one."""
        if not (self._before_reset and self.select_week(self._before_reset)):
            self.select_first()
        self._on_current_changed()

    @Slot()
    def _on_current_changed(self) -> None:
        week_id = self.selected_week_id()
        self._update_buttons()
        if week_id != self._last_emitted:
            self._last_emitted = week_id
            self.weekSelected.emit(week_id)

    def _update_buttons(self) -> None:
        has = bool(self.selected_week_id())
        self.edit_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    # ---- actions -------------------------------------------------------------------------
    @Slot()
    def open_new_dialog(self) -> WeekDialog:
        dialog = WeekDialog(self._data, None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def open_edit_dialog(self) -> WeekDialog | None:
        week_id = self.selected_week_id()
        week = self._data.get_week_data(week_id) if week_id else None
        if week is None:
            return None
        dialog = WeekDialog(self._data, week, self, history=self.history)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def delete_selected(self) -> bool:
        week_id = self.selected_week_id()
        if not week_id:
            return False
        week = self.model.week_at(self.model.row_of(week_id) or 0)
        count = self._data.count_week_tasks(week_id)
        tasks = "no tasks" if count == 0 else f"its {count:,} task{'s' if count != 1 else ''}"
        undoable = self.history is not None and count <= UNDO_WEEK_TASKS
        after = "Edit → Undo (Ctrl+Z) brings it back." if undoable else "This cannot be undone."
        if not self._confirm(self, "Delete week", f"Delete week “{week.week_label}” and {tasks}?\n{after}"):
            return False
        snapshot = self._data.get_week_data(week_id) if undoable else None
        week_tasks = self._data.get_week_tasks(week_id) if undoable else ()
        try:
            self._data.delete_week(week_id)
        except WfhError as exc:
            show_error(self, "Week not deleted", exc)
            return False
        if self.history is not None and snapshot is not None:
            data = self._data
            self.history.push(f"Delete week “{week.week_label}”", lambda: data.restore_week(snapshot, week_tasks))
        return True
