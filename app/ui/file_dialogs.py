"""Open/save file dialogs that start in the folder last used (kept in the profile's UI state).

The first time they start in the user's Documents folder (else home), never the process's working
directory: a window started from a shortcut would otherwise offer the install folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from app.ui.state import UiState

STATE_KEY = "last_folder"


def default_folder() -> Path:
    """Documents if it exists, else the home folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


def start_folder(state: UiState) -> Path:
    """The last folder used if it still exists, else ``default_folder()``."""
    saved = state.get(STATE_KEY)
    if isinstance(saved, str) and saved and Path(saved).is_dir():
        return Path(saved)
    return default_folder()


def remember(state: UiState, chosen: Path) -> None:
    state.set(STATE_KEY, str(chosen.parent if not chosen.is_dir() else chosen))


def open_file(parent: QWidget | None, state: UiState, title: str, filters: str) -> Path | None:
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder(state)), filters)
    if not chosen:
        return None
    path = Path(chosen)
    remember(state, path)
    return path


def save_file(parent: QWidget | None, state: UiState, title: str, file_name: str, filters: str) -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder(state) / file_name), filters)
    if not chosen:
        return None
    path = Path(chosen)
    remember(state, path)
    return path
