"""Import the old (seed 002) database: progress bar, cancel, and the import report.

The import runs on the serialized writer thread with that thread's own connection; when it finishes
the GUI thread tells DataService about the bulk change so every view re-reads once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QProgressBar, QVBoxLayout, QWidget

from app.profile import Profile
from app.services.data_service import DataService
from app.storage.legacy_import import ImportReport, import_legacy
from app.ui.background import JobControl, SerialWriter


def _run_import(profile: Profile, path: Path, control: JobControl) -> ImportReport:
    conn = profile.db.get()  # the writer thread's own connection
    return import_legacy(conn, path, progress=control.progress, should_cancel=control.should_cancel)


class LegacyImportDialog(QDialog):
    """Signals: importFinished(object report) — an ``ImportReport``; importFailed(str message)."""

    importFinished = Signal(object)
    importFailed = Signal(str)

    def __init__(self, profile: Profile, data_service: DataService, writer: SerialWriter, path: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = data_service
        self.report: ImportReport | None = None
        self.setWindowTitle("Import legacy database")
        self.resize(640, 420)
        self.status = QLabel(f"Importing {Path(path).name}…")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report_view.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.report_view, 1)
        layout.addWidget(self.buttons)
        self.task = writer.submit(lambda control: _run_import(profile, Path(path), control), self)
        self._connect_signals()
        self.task.start()

    def _connect_signals(self) -> None:
        self.task.finished.connect(self._data.notify_bulk_change)  # first, and even if the dialog is gone by then
        self.task.progressed.connect(self._on_progress)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)
        self.buttons.rejected.connect(self.cancel_or_close)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.status.setText(f"Importing… {done:,} of {total:,} tasks")

    @Slot(object)
    def _on_finished(self, report: Any) -> None:
        self.report = report
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText(
            f"Imported {report.weeks_imported:,} weeks and {report.tasks_imported:,} tasks"
            + ("" if report.verified else " — the check found differences, see below") + "."
        )
        self.report_view.setPlainText(report.to_text())
        self.report_view.show()
        self._finish_buttons()
        self.importFinished.emit(report)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(f"Nothing was imported: {message}")
        self.status.setStyleSheet("color: #e05050;")
        self._finish_buttons()
        self.importFailed.emit(message)

    def _finish_buttons(self) -> None:
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.buttons.setEnabled(True)

    @Slot()
    def cancel_or_close(self) -> None:
        if self.task.is_running():
            self.task.cancel()
            self.status.setText("Cancelling… (the import is rolled back)")
            self.buttons.setEnabled(False)
            return
        self.reject()

    def closeEvent(self, event: Any) -> None:
        if self.task.is_running():
            self.cancel_or_close()
            event.ignore()
            return
        super().closeEvent(event)
