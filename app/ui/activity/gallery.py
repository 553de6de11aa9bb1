"""Screenshot gallery: thumbnails of one day; view full size, delete (file and outbox row).

Signals: ``screenshotDeleted(str client_id)`` after a delete was committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.monitor.screenshots import delete_screenshots
from app.monitor.store import MonitorStore

if TYPE_CHECKING:
    from app.profile import Profile


class ScreenshotViewer(QDialog):
    """One screenshot at full size in a scrollable dialog (says so when the file is missing)."""

    def __init__(self, path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        label = QLabel()
        pixmap = QPixmap(str(path))
        label.setPixmap(pixmap) if not pixmap.isNull() else label.setText("The file is missing.")
        scroll = QScrollArea()
        scroll.setWidget(label)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        self.resize(1000, 650)


class ScreenshotGallery(QWidget):
    """The day's screenshot thumbnails with View and Delete.

    Signals:
        screenshotDeleted(str client_id): the user deleted that screenshot (file and row).
    """

    screenshotDeleted = Signal(str)

    def __init__(self, profile: Profile, parent: QWidget | None = None, *, confirm: bool = True) -> None:
        super().__init__(parent)
        self.profile = profile
        self.confirm = confirm
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(240, 135))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.view_button = QPushButton("View")
        self.delete_button = QPushButton("Delete…")
        self.empty = QLabel("No screenshots on this day.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.view_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._connect_signals()
        self.set_rows([])

    def _connect_signals(self) -> None:
        self.view_button.clicked.connect(self.view_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.list.itemActivated.connect(lambda _item: self.view_selected())
        self.list.itemSelectionChanged.connect(self._update_buttons)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(row["captured_at"][11:19] + " UTC" + ("" if not row.get("synced") else " ✓"))
            item.setData(Qt.ItemDataRole.UserRole, row)
            thumb = row.get("thumbnail")
            if thumb is not None:
                item.setIcon(QIcon(QPixmap.fromImage(thumb)))
            self.list.addItem(item)
        self.empty.setVisible(not rows)
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = bool(self.list.selectedItems())
        self.view_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)

    def selected_rows(self) -> list[dict[str, Any]]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    def view_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            row = rows[0]
            ScreenshotViewer(Path(self.profile.paths.data_dir) / row["file_path"], row["captured_at"], self).exec()

    def delete_selected(self) -> int:
        rows = self.selected_rows()
        if not rows:
            return 0
        if self.confirm:
            answer = QMessageBox.question(
                self, "Delete screenshots",
                f"Delete {len(rows)} screenshot(s)? The files and their records are removed from this "
                "computer and will not be uploaded.")
            if answer != QMessageBox.StandardButton.Yes:
                return 0
        ids = [row["client_id"] for row in rows]
        deleted = delete_screenshots(Path(self.profile.paths.data_dir), MonitorStore(self.profile.db), ids)
        for item in list(self.list.selectedItems()):
            self.list.takeItem(self.list.row(item))
        self.empty.setVisible(self.list.count() == 0)
        for client_id in ids:
            self.screenshotDeleted.emit(client_id)
        return deleted
