"""Window layout that survives restarts: geometry, splitters, column widths, last week.

Kept in ``ui_state.json`` inside the profile's data dir (not QSettings, which is per user) so
two profiles opened with ``--data-dir`` never share or overwrite each other's layout.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray

log = logging.getLogger(__name__)

STATE_FILE = "ui_state.json"


class UiState:
    """A small JSON document of layout values; unknown or broken content falls back to defaults."""

    def __init__(self, path: Path, values: dict[str, Any] | None = None) -> None:
        self.path = path
        self.values: dict[str, Any] = values or {}

    @classmethod
    def load(cls, data_dir: Path) -> UiState:
        path = Path(data_dir) / STATE_FILE
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(values, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            values = {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            values = {}
        return cls(path, values)

    def save(self) -> None:
        """Write atomically (tmp + replace) so a kill mid-write never leaves half a file."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.values, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("could not save window layout to %s: %s", self.path, exc)

    # ---- typed accessors -------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get_bytes(self, key: str) -> QByteArray | None:
        raw = self.values.get(key)
        if not isinstance(raw, str):
            return None
        try:
            return QByteArray(base64.b64decode(raw))
        except ValueError:
            return None

    def set_bytes(self, key: str, value: QByteArray) -> None:
        self.values[key] = base64.b64encode(bytes(value.data())).decode("ascii")

    def get_ints(self, key: str) -> list[int] | None:
        raw = self.values.get(key)
        if isinstance(raw, list) and raw and all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            return list(raw)
        return None
