"""Task table of one week with its filter box, project filter, buttons and keyboard shortcuts.

Shortcuts: N new task and Ctrl+F filter anywhere in the window (text fields keep their typing);
Esc clears the filter; Enter edit, Del delete, Space start/stop timer, Ctrl+M move to another week
while the task table has focus. Deletes, edits and moves can be undone (Ctrl+Z, ``UndoHistory``).
Signals: timerToggleRequested(int task_id).
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import Changes
from app.domain.models import Task
from app.errors import WfhError
from app.services.data_service import DataService
from app.ui.confirm import Confirmer, ask_with_message_box
from app.ui.errors import show_error
from app.ui.tasks.columns import COLUMNS
from app.ui.tasks.dialog import TaskDialog
from app.ui.tasks.model import TaskTableModel
from app.ui.tasks.move_dialog import MoveToWeekDialog
from app.ui.tasks.proxy import TaskFilterProxy
from app.ui.undo import UndoHistory

ALL_PROJECTS = "All projects"


class TasksPanel(QWidget):
    """The Tasks tab: toolbar, filter, the week's task table and the task actions (new, edit, delete, timer).

    Signals:
        timerToggleRequested(int task_id): start or stop the timer on that task (the shell decides).
    """

    timerToggleRequested = Signal(int)

    def __init__(self, data_service: DataService, confirm: Confirmer = ask_with_message_box,
                 parent: QWidget | None = None, *, history: UndoHistory | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._confirm = confirm
        self.history = history
        self.model = TaskTableModel(data_service, self)
        self.proxy = TaskFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("taskFilter")
        self.filter_edit.setPlaceholderText("Filter project, attempt, operation, feedback  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.project_combo = QComboBox()
        self.project_combo.setMinimumWidth(160)
        self.project_combo.addItem(ALL_PROJECTS)
        self.count_label = QLabel()
        self.table = self._make_table()
        self.new_action = self._action("New task", "N", self.open_new_dialog,
                                       context=Qt.ShortcutContext.WindowShortcut)
        self.edit_action = self._action("Edit task", QKeySequence(Qt.Key.Key_Return), self.open_edit_dialog,
                                        extra=QKeySequence(Qt.Key.Key_Enter))
        self.delete_action = self._action("Delete tasks", QKeySequence(QKeySequence.StandardKey.Delete),
                                          self.delete_selected)
        self.timer_action = self._action("Start/stop timer", "Space", self._request_timer_toggle)
        self.filter_action = self._action("Filter tasks", QKeySequence(QKeySequence.StandardKey.Find),
                                          self.focus_filter, context=Qt.ShortcutContext.WindowShortcut)
        self.clear_filter_action = self._action("Clear filter", QKeySequence(Qt.Key.Key_Escape), self.clear_filter)
        self.move_action = self._action("Move to week…", "Ctrl+M", self.open_move_dialog)
        self.new_button = QPushButton("New task")
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        self.timer_button = QPushButton("Start timer")
        self._build_layout()
        self._fill_timer = QTimer(self)
        self._fill_timer.setInterval(0)
        self._connect_signals()
        self._update_enabled()

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("tasksTable")
        table.setModel(self.proxy)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for index, column in enumerate(COLUMNS):
            table.setColumnWidth(index, column.width)
        table.setSortingEnabled(True)
        return table

    def _action(self, text: str, shortcut: QKeySequence | str, slot: object, *, extra: QKeySequence | None = None,
                context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut) -> QAction:
        action = QAction(text, self)
        keys = [QKeySequence(shortcut)] + ([extra] if extra is not None else [])
        action.setShortcuts(keys)
        action.setShortcutContext(context)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.project_combo)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button, self.timer_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def _connect_signals(self) -> None:
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.project_combo.currentIndexChanged.connect(self._on_project_filter)
        self.table.doubleClicked.connect(lambda _index: self.open_edit_dialog())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_enabled())
        self.new_button.clicked.connect(self.open_new_dialog)
        self.edit_button.clicked.connect(self.open_edit_dialog)
        self.delete_button.clicked.connect(self.delete_selected)
        self.timer_button.clicked.connect(self._request_timer_toggle)
        self.model.weekLoaded.connect(self._on_week_loaded)
        self.model.rowsInserted.connect(lambda *_: self._update_count())
        self.model.rowsRemoved.connect(lambda *_: self._update_count())
        self.proxy.layoutChanged.connect(self._update_count)
        self._fill_timer.timeout.connect(self._fetch_next_page)
        self._data.changed.connect(self._on_data_changed)

    # ---- week ----------------------------------------------------------------------------
    def show_week(self, week_id: int | None) -> None:
        """Show a week: the first page paints at once; the rest loads a page per event-loop turn."""
        self.model.load_week(week_id or None)
        if self.model.week_id is None:
            self._refresh_projects()
            self._update_count()
            self._update_enabled()
        if self.model.canFetchMore() and self.proxy.is_filtering():
            self.model.fetch_all()

    @Slot(int)
    def _on_week_loaded(self, _week_id: int) -> None:
        self._refresh_projects()
        self._update_count()
        self._update_enabled()
        if self.model.canFetchMore():
            self._fill_timer.start()

    @Slot()
    def _fetch_next_page(self) -> None:
        if self.model.canFetchMore():
            self.model.fetchMore()
        else:
            self._fill_timer.stop()

    @Slot(object)
    def _on_data_changed(self, changes: Changes) -> None:
        if changes.touches_week(self.model.week_id):
            self._refresh_projects()

    def _refresh_projects(self) -> None:
        week_id = self.model.week_id
        names = self._data.project_names(week_id) if week_id else []
        current = self.project_combo.currentText()
        wanted = [ALL_PROJECTS, *sorted(n for n in names if n)]
        if wanted == [self.project_combo.itemText(i) for i in range(self.project_combo.count())]:
            return
        self.project_combo.blockSignals(True)
        self.project_combo.clear()
        self.project_combo.addItems(wanted)
        self.project_combo.setCurrentIndex(max(0, self.project_combo.findText(current)))
        self.project_combo.blockSignals(False)
        self._on_project_filter()

    # ---- filter ----------------------------------------------------------------------------
    @Slot()
    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    @Slot()
    def clear_filter(self) -> bool:
        """Esc: empty the text filter and show every project again; False when nothing was filtered."""
        if not self.filter_edit.text() and self.project_combo.currentIndex() == 0:
            return False
        self.filter_edit.clear()
        self.project_combo.setCurrentIndex(0)
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    @Slot(str)
    def _on_filter_text(self, text: str) -> None:
        self.model.fetch_all()
        self.proxy.set_text_filter(text)
        self._update_count()

    @Slot()
    def _on_project_filter(self) -> None:
        text = self.project_combo.currentText()
        if text != ALL_PROJECTS:
            self.model.fetch_all()
        self.proxy.set_project_filter(None if text == ALL_PROJECTS else text)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.total_count()
        noun = "task" if total == 1 else "tasks"
        self.count_label.setText(f"{shown:,} of {total:,} {noun}" if shown != total else f"{total:,} {noun}")

    # ---- selection -------------------------------------------------------------------------
    def selected_tasks(self) -> list[Task]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.task_at(self.proxy.mapToSource(index).row()) for index in rows]

    def current_task(self) -> Task | None:
        index = self.table.currentIndex()
        if not index.isValid():
            selected = self.selected_tasks()
            return selected[0] if selected else None
        return self.model.task_at(self.proxy.mapToSource(index).row())

    def select_task(self, task_id: int) -> bool:
        row = self.model.row_of(task_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)
        return True

    def _update_enabled(self) -> None:
        has_week = self.model.week_id is not None
        has_task = bool(self.table.selectionModel().selectedRows())
        for widget in (self.new_button, self.new_action):
            widget.setEnabled(has_week)
        for widget in (self.edit_button, self.edit_action, self.delete_button, self.delete_action,
                       self.timer_button, self.timer_action, self.move_action):
            widget.setEnabled(has_task)

    def set_timer_running(self, running: bool) -> None:
        self.timer_button.setText("Stop timer" if running else "Start timer")
        if running:
            self.timer_button.setEnabled(True)
        else:
            self._update_enabled()

    # ---- actions ---------------------------------------------------------------------------
    @Slot()
    def open_new_dialog(self) -> TaskDialog | None:
        if self.model.week_id is None:
            return None
        return self._open(TaskDialog(self._data, self.model.week_id, None, self, history=self.history))

    @Slot()
    def open_edit_dialog(self) -> TaskDialog | None:
        task = self.current_task()
        if task is None:
            return None
        return self._open(TaskDialog(self._data, task.week_id, task, self, history=self.history))

    def _open(self, dialog: TaskDialog) -> TaskDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self.select_task)
        dialog.open()
        return dialog

    @Slot()
    def delete_selected(self) -> int:
        tasks = self.selected_tasks()
        if not tasks:
            return 0
        what = f"task “{tasks[0].project_name or tasks[0].attempt_id or tasks[0].id}”" if len(tasks) == 1 \
            else f"{len(tasks):,} tasks"
        if not self._confirm(self, "Delete tasks", f"Delete {what}? This cannot be undone."):
            return 0
        ids = [t.id for t in tasks]
        try:
            self._data.delete_tasks(ids)
        except WfhError as exc:
            show_error(self, "Tasks not deleted", exc)
            return 0
        if self.history is not None:
            data = self._data
            self.history.push(f"Delete {what}", lambda: data.restore_tasks(ids))
        return len(tasks)

    @Slot()
    def open_move_dialog(self) -> MoveToWeekDialog | None:
        """"Move to week…" for the selected tasks."""
        tasks = self.selected_tasks()
        if not tasks:
            return None
        dialog = MoveToWeekDialog(self._data, [t.id for t in tasks], self.model.week_id, self, history=self.history)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def _request_timer_toggle(self) -> None:
        task = self.current_task()
        if task is not None:
            self.timerToggleRequested.emit(task.id)
