"""Sync status → tray icon and one-line text (tooltip, Sync panel, the status bar when there is no tray).

Icons are the PNGs drawn by ``scripts/draw_sync_icons.py`` (glyph + colour per state, 16–64 px).
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

from app.sync.status import SyncReason, SyncState, SyncStatus
from app.ui.icons import icons_dir

STATES = tuple(SyncState)
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


def describe(status: SyncStatus, *, now: float | None = None) -> str:
    """The one-line text of a status: "Synced 14:02 · 0 pending", "Offline · 1,284 pending",
    "Server unreachable, retrying in 40 s", "API key rejected"."""
    state, reason, detail = status.state, status.reason, status.detail
    count = f"{status.pending:,} pending"
    if state is SyncState.SYNCED:
        at = _clock(status.last_success)
        return f"Synced {at} · {count}" if at else f"Synced · {count}"
    if state is SyncState.SYNCING:
        return f"Syncing · {count}"
    if state is SyncState.OFFLINE:
        return f"Offline · {count}"
    if state is SyncState.PENDING and reason is SyncReason.NOT_SET_UP:
        return f"Local only (no server set up) · {count}"
    if state is SyncState.PENDING:
        at = _clock(status.last_success)
        return f"Last sync {at} · {count}" if at else f"Not synced yet · {count}"
    if state is SyncState.UNREACHABLE:
        if status.retry_at is not None:
            seconds = max(0, round(status.retry_at - (time.time() if now is None else now)))
            return f"Server unreachable, retrying in {seconds} s"
        return "Server unreachable, retrying"
    if state is SyncState.AUTH_ERROR:
        return "API key belongs to another employee" if reason is SyncReason.WRONG_EMPLOYEE else "API key rejected"
    if reason is SyncReason.QUEUE_FULL:
        return f"Local queue full · {count}"
    if reason is SyncReason.STREAM_PAUSED:
        return detail
    return f"Sync error: {detail}" if detail else "Sync error"


NO_SERVER_HINT = ("No server is set up, so nothing is uploaded: your data stays on this computer. To upload, open "
                  "Settings → Sync, enter the server URL and your API key, then click Test connection.")
UPLOADS_OFF_HINT = ("Uploads are switched off (Settings → Sync → Upload to the server): your data stays on this "
                    "computer.")


def local_only_hint(reason: SyncReason | None) -> str | None:
    """What to tell someone who cannot upload (and how to change that), or None when a server is set up."""
    if reason is SyncReason.NOT_SET_UP:
        return NO_SERVER_HINT
    if reason is SyncReason.UPLOADS_DISABLED:
        return UPLOADS_OFF_HINT
    return None
