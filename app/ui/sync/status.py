"""Sync state → tray icon and one-line text (tooltip, or the status bar when there is no tray).

Icons are the PNGs drawn by ``scripts/draw_sync_icons.py`` (glyph + colour per state, 16–64 px).
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

from app.sync.engine import NOT_SET_UP
from app.ui.icons import icons_dir

STATES = ("synced", "syncing", "pending", "offline", "unreachable", "auth_error", "error")
SIZES = (16, 22, 32, 64)


def icon_dir() -> Path:
    return icons_dir("sync")


@cache
def sync_icon(state: str) -> QIcon:
    """The tray icon of a sync state (unknown states show as ``error``)."""
    name = state if state in STATES else "error"
    icon = QIcon()
    for size in SIZES:
        icon.addFile(str(icon_dir() / f"{name}-{size}.png"))
    return icon


def _clock(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return None


def tooltip_text(state: str, detail: str = "", *, pending: int = 0, last_success: str | None = None,
                 retry_at: float | None = None, now: float | None = None) -> str:
    """E.g. "Synced 14:02 · 0 pending", "Offline · 1,284 pending", "Server unreachable, retrying in 40 s",
    "API key rejected"."""
    count = f"{pending:,} pending"
    if state == "synced":
        at = _clock(last_success)
        return f"Synced {at} · {count}" if at else f"Synced · {count}"
    if state == "syncing":
        return f"Syncing · {count}"
    if state == "offline":
        return f"Offline · {count}"
    if state == "pending" and detail == NOT_SET_UP:
        return f"Local only (no server set up) · {count}"
    if state == "pending":
        at = _clock(last_success)
        return f"Last sync {at} · {count}" if at else f"Not synced yet · {count}"
    if state == "unreachable":
        if retry_at is not None:
            seconds = max(0, round(retry_at - (time.time() if now is None else now)))
            return f"Server unreachable, retrying in {seconds} s"
        return "Server unreachable, retrying"
    if state == "auth_error":
        return "API key belongs to another employee" if "another employee" in detail else "API key rejected"
    if detail == "Local queue full":
        return f"Local queue full · {count}"
    if detail.startswith("Sync error"):
        return detail
    return f"Sync error: {detail}" if detail else "Sync error"
