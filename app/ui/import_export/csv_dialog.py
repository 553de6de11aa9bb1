"""CSV import: read and validate the file on a worker thread, show every row with its problem,
and write nothing until the user presses Import. Then the valid rows go in one transaction on the
serialized writer thread, with progress and Cancel; the GUI thread only publishes the one bulk
change set when it has committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.changes import Changes
from app.services.data_service import DataService, drop_in_slices
from app.services.duplicates import find_duplicates
from app.storage.db import ConnectionFactory
from app.ui.background import BackgroundTask, JobControl, SerialWriter
from app.ui.import_export.formats import CsvPreview, CsvRow, importable_values, read_csv
from app.ui.list_table_model import AnyIndex, ListTableModel

ERROR_BACKGROUND = QColor(224, 64, 64, 70)
DUPLICATE_BACKGROUND = QColor(230, 170, 40, 70)


def read_with_duplicates(path: Path, db: ConnectionFactory) -> CsvPreview:
    """Read the file and mark the rows already in the profile (skipped by default); on a worker thread."""
    preview = read_csv(path)
    try:
        candidates = ((r.line, r.key, r.id_hint, r.fingerprint) for r in preview.rows
                      if r.values is not None and r.fingerprint is not None)
        marked = find_duplicates(db.get(), candidates)
        by_line = {r.line: r for r in preview.rows}
        for line, reason in marked:
            by_line[line].duplicate, by_line[line].skip = reason, True
            preview.duplicates += 1
    finally:
        db.close_thread()
    preview.skipped = preview.duplicates
    if preview.skipped:
        preview.valid_values = importable_values(preview)
    preview.display = display_order(preview.rows)
    return preview


def display_order(rows: list[CsvRow]) -> list[CsvRow]:
    """Problems first, then duplicates, then the rows that go in, each by line."""
    return sorted(rows, key=lambda r: (r.error is None, r.duplicate is None, r.line))


class CsvPreviewModel(ListTableModel):
    """The CSV import preview: every row with its validation error or duplicate, problems and duplicates first;
    the Import column is checked for rows that will be written (duplicates start unchecked: skip).

    Signals: ``choiceChanged(int delta)`` after the user (un)checks a row's Import box: +1 one more row
    skipped, -1 one fewer.
    """

    HEADERS = ("Line", "Import", "Project", "Attempt", "Duration", "Score", "Problem")
    KEYS = ("", "", "project_name", "attempt_id", "duration", "score", "")
    IMPORT_COLUMN = 1
    choiceChanged = Signal(int)

    def set_rows(self, rows: list[CsvRow]) -> None:
        """Show rows in the given order (``display_order`` sorts them on the reading thread: sorting 100,000
        rows here stalled the window)."""
        self.set_items(rows)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == self.IMPORT_COLUMN and self.items[index.row()].values is not None:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != self.IMPORT_COLUMN or role != Qt.ItemDataRole.CheckStateRole:
            return False
        row = self.items[index.row()]
        if row.values is None:
            return False
        skip = Qt.CheckState(value) != Qt.CheckState.Checked
        if skip == row.skip:
            return True
        row.skip = skip
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(self.HEADERS) - 1))
        self.choiceChanged.emit(1 if skip else -1)
        return True

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == self.IMPORT_COLUMN and row.values is not None:
            return Qt.CheckState.Unchecked if row.skip else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(row.line)
            if column == self.IMPORT_COLUMN:
                return "no" if row.values is None else ("skip" if row.skip else "import")
            if column == len(self.HEADERS) - 1:
                return row.error or row.duplicate or "ok"
            return row.raw.get(self.KEYS[column], "")
        if role == Qt.ItemDataRole.BackgroundRole and row.error:
            return ERROR_BACKGROUND
        if role == Qt.ItemDataRole.BackgroundRole and row.duplicate:
            return DUPLICATE_BACKGROUND
        return None


class CsvImportDialog(QDialog):
    """Preview a CSV file, then import its valid rows into one week on the serialized writer.

    Signals:
        imported(int task_count): the rows were committed and ``DataService.changed`` has fired.
    """

    imported = Signal(int)

    def __init__(self, data_service: DataService, writer: SerialWriter, week_id: int, week_label: str, path: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self._writer = writer
        self._week_id = week_id
        self.preview: CsvPreview | None = None
        self.write: BackgroundTask | None = None
        self.setWindowTitle(f"Import {Path(path).name}")
        self.resize(820, 520)
        self.summary = QLabel(f"Reading {Path(path).name}…")
        self.summary.setWordWrap(True)
        self.model = CsvPreviewModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)  # one line per row; the full text is in the cell when widened
        self.table.horizontalHeader().resizeSection(2, 220)
        self.table.horizontalHeader().setSectionResizeMode(len(CsvPreviewModel.HEADERS) - 1,
                                                           QHeaderView.ResizeMode.Stretch)
        self._choices_changed = False  # a row was (un)checked: Import recounts which rows go in
        self.include_duplicates = QCheckBox("Import the rows already in this profile too")
        self.include_duplicates.setObjectName("includeDuplicates")
        self.include_duplicates.hide()  # shown when the preview found some
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = QPushButton(f"Import into “{week_label}”")
        self.import_button.setEnabled(False)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.include_duplicates)
        self.progress = QProgressBar()
        self.progress.hide()
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.reader = BackgroundTask(lambda _control: read_with_duplicates(Path(path), data_service.db), self)
        self._connect_signals()
        self.reader.start()

    def _connect_signals(self) -> None:
        self.reader.finished.connect(self._on_read)
        self.reader.failed.connect(self._on_failed)
        self.buttons.rejected.connect(self.reject)
        self.import_button.clicked.connect(self.import_rows)
        self.model.choiceChanged.connect(self._on_choice_changed)
        self.include_duplicates.toggled.connect(self._include_duplicates)

    @Slot(object)
    def _on_read(self, preview: CsvPreview) -> None:
        self.preview = preview
        self.model.set_rows(preview.display or display_order(preview.rows))
        self._show_counts()

    @Slot(bool)
    def _include_duplicates(self, include: bool) -> None:
        """Tick or untick every duplicate at once (one pass, then one repaint)."""
        preview = self.preview
        if preview is None:
            return
        skipped = 0
        for row in preview.rows:
            if row.duplicate is not None:
                row.skip = not include
            skipped += row.skip
        preview.skipped = skipped
        self.model.dataChanged.emit(self.model.index(0, 0),
                                    self.model.index(max(0, self.model.rowCount() - 1), len(self.model.HEADERS) - 1))
        self._choices_changed = True
        self._show_counts()

    @Slot(int)
    def _on_choice_changed(self, delta: int) -> None:
        if self.preview is not None:
            self.preview.skipped += delta
        self._choices_changed = True
        self._show_counts()

    def _show_counts(self) -> None:
        """The summary and the Import button from the preview's counters (no pass over 100,000 rows here)."""
        preview = self.preview
        if preview is None:
            return
        valid = preview.valid_count - preview.skipped
        bad = len(preview.rows) - preview.valid_count
        parts = [f"{valid:,} row{'s' if valid != 1 else ''} ready to import"]
        if bad:
            parts.append(f"{bad:,} with problems (listed first, not imported)")
        self.include_duplicates.setVisible(preview.duplicates > 0)
        if preview.duplicates:
            parts.append(f"{preview.duplicates:,} already in this profile (skipped unless you tick Import; "
                         f"{preview.skipped:,} skipped now)")
        if preview.ignored_columns:
            parts.append(f"ignored columns: {', '.join(preview.ignored_columns)}")
        self.summary.setText("; ".join(parts) + ". Nothing is written until you press Import.")
        self.import_button.setText(f"Import {valid:,} task{'s' if valid != 1 else ''}")
        self.import_button.setEnabled(valid > 0)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.summary.setText(f"The file cannot be imported: {message}")
        self.summary.setStyleSheet("color: #e05050;")

    @Slot()
    def import_rows(self) -> int:
        """Queue the valid rows on the writer; returns how many were queued (0 when there is nothing to import)."""
        preview = self.preview
        if preview is None or self.write is not None:
            return 0
        count = preview.valid_count - preview.skipped
        if count <= 0:
            return 0
        # built on the reading thread, or, after the user changed which rows go in, on the writer thread:
        # 100,000 rows cost the GUI thread nothing here
        rebuild, self._choices_changed = self._choices_changed, False
        data, week_id = self._data, self._week_id

        def write(control: JobControl) -> Changes:
            if rebuild:
                preview.valid_values = importable_values(preview)
            return data.write_tasks(week_id, preview.valid_values, "import", control.progress, control.should_cancel)

        self.write = self._writer.submit(write, self)
        # DataService publishes first (cache dropped, one changed(Changes)), even if this dialog is gone by then.
        self.write.finished.connect(data.publish)
        self.write.finished.connect(self._on_written)
        self.write.failed.connect(self._on_write_failed)
        self.write.progressed.connect(self._on_progress)
        self.import_button.setEnabled(False)
        self.progress.setRange(0, count)
        self.progress.setValue(0)
        self.progress.show()
        self.summary.setText(f"Importing {count:,} tasks… Cancel rolls the import back.")
        self.write.start()
        return count

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    @Slot(object)
    def _on_written(self, changes: Changes) -> None:
        self._release_preview()
        self.imported.emit(len(changes.tasks_created))
        self.accept()

    def _release_preview(self) -> None:
        """Free the preview's rows on the writer thread: 100,000 of them freed here would stall the window
        for ~0.1 s when the dialog closes."""
        if self.preview is None:
            return
        preview, self.preview = self.preview, None
        self.model.set_rows([])
        def release(_control: JobControl) -> None:
            drop_in_slices(preview.valid_values)
            drop_in_slices(preview.display)
            drop_in_slices(preview.rows)

        self._writer.submit(release).start()

    @Slot(str)
    def _on_write_failed(self, message: str) -> None:
        self.write = None
        self.progress.hide()
        self.summary.setText(f"Nothing was imported: {message}")
        self.summary.setStyleSheet("color: #e05050;")
        self.buttons.setEnabled(True)
        self.import_button.setEnabled(self.preview is not None and bool(self.preview.valid_values))

    @Slot()
    def reject(self) -> None:
        """Cancel, Escape or the close box: a running import is cancelled (it rolls back) and the dialog stays
        until it has; otherwise the dialog closes."""
        if self.write is not None and self.write.is_running():
            self.write.cancel()
            self.summary.setText("Cancelling… (the import is rolled back)")
            self.buttons.setEnabled(False)
            return
        super().reject()

    def closeEvent(self, event: Any) -> None:
        if self.write is not None and self.write.is_running():
            self.reject()
            event.ignore()
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.reader.wait(10_000)  # reading is bounded by max_rows; never destroy a running thread
        super().done(result)
