"""What the sync is doing, as values: ``SyncState``, ``SyncReason`` and one ``SyncStatus``.

Qt-free on purpose: the worker, the headless ``status`` command, the Sync panel and the tray all
read a ``SyncStatus`` and only the UI turns it into words (``app.ui.sync.status.describe``).
``resolve`` is the one place that decides which state wins (Work offline over a stale saved state,
"nothing pending" over a saved "pending"); ``current_status`` applies it to what the database holds.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.config import Settings


class SyncState(StrEnum):
    """The sync state shown by the icon; a ``str`` so it travels through Qt signals and JSON as is."""

    SYNCED = "synced"
    SYNCING = "syncing"
    PENDING = "pending"
    OFFLINE = "offline"
    UNREACHABLE = "unreachable"
    AUTH_ERROR = "auth_error"
    ERROR = "error"


class SyncReason(StrEnum):
    """Why the state is what it is, when that matters to the user (never parsed out of message text)."""

    NONE = ""
    NOT_SET_UP = "not_set_up"
    UPLOADS_DISABLED = "uploads_disabled"
    WORKING_OFFLINE = "working_offline"
    KEY_REJECTED = "key_rejected"
    WRONG_EMPLOYEE = "wrong_employee"
    SERVER_UNREACHABLE = "server_unreachable"
    BAD_SETTINGS = "bad_settings"
    STREAM_PAUSED = "stream_paused"
    LOCAL_DATABASE = "local_database"
    QUEUE_FULL = "queue_full"

    @classmethod
    def parse(cls, value: str | None) -> SyncReason:
        """A stored reason; unknown or missing values (older databases) read as ``NONE``."""
        try:
            return cls(value or "")
        except ValueError:
            return cls.NONE


@dataclass(frozen=True)
class SyncStatus:
    """One snapshot: ``detail`` is the technical text (server message, exception) for tooltips and logs."""

    state: SyncState = SyncState.PENDING
    reason: SyncReason = SyncReason.NONE
    detail: str = ""
    pending: int = 0
    last_success: str | None = None
    retry_at: float | None = None

    def with_counts(self, pending: int, last_success: str | None) -> SyncStatus:
        return replace(self, pending=pending, last_success=last_success)


def parse_state(value: str | None) -> SyncState | None:
    try:
        return SyncState(value) if value else None
    except ValueError:
        return None


def resolve(saved: SyncStatus | None, *, offline: bool, pending: int, last_success: str | None) -> SyncStatus:
    """The status to show, from the last saved one and live facts (Work offline switch, pending count)."""
    if offline:
        return SyncStatus(SyncState.OFFLINE, SyncReason.WORKING_OFFLINE, "Working offline", pending, last_success)
    if saved is None or (saved.state in (SyncState.SYNCED, SyncState.PENDING, SyncState.SYNCING)
                         and saved.reason is not SyncReason.NOT_SET_UP):
        state = SyncState.PENDING if pending else SyncState.SYNCED
        return SyncStatus(state, SyncReason.NONE, "", pending, last_success)
    return saved.with_counts(pending, last_success)


def current_status(conn: sqlite3.Connection) -> SyncStatus:
    """The status as the worker last saved it, corrected by the live switch and counts (any thread)."""
    from app.sync import outbox, state
    from app.sync.policy import ALL_STREAMS

    pending = sum(outbox.pending_counts(conn, ALL_STREAMS).values())
    return resolve(state.load_status(conn), offline=state.work_offline(conn), pending=pending,
                   last_success=state.last_success(conn))


def local_only_reason(settings: Settings) -> SyncReason | None:
    """Why nothing can be uploaded from this profile (no server set up, uploads switched off), or None
    when a destination is configured: the CLI's ``local_only`` state."""
    if not settings.flag("ingestion.enabled"):
        return SyncReason.UPLOADS_DISABLED
    if settings.text("ingestion.mode") == "api" and not settings.text("ingestion.api.base_url").strip():
        return SyncReason.NOT_SET_UP
    return None
