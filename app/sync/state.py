"""Small persistent sync facts kept in SQLite: the Work offline switch, the last state, the sync_log.

They live in the database (``settings`` table, ``sync_log``) rather than in memory so that the
headless ``status`` command and the GUI agree on what the worker last saw.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from app.storage import kv
from app.storage.db import write_transaction
from app.sync.outbox import bump, utc_now_iso
from app.sync.status import SyncReason, SyncStatus, parse_state

KEY_OFFLINE = "sync.work_offline"
KEY_STATE = "sync.state"
KEY_DETAIL = "sync.detail"
KEY_RETRY_AT = "sync.retry_at"
KEY_REASON = "sync.reason"
_STATUS_KEYS = (KEY_STATE, KEY_REASON, KEY_DETAIL, KEY_RETRY_AT)


def work_offline(conn: sqlite3.Connection) -> bool:
    return kv.get(conn, KEY_OFFLINE) == "1"


def set_work_offline(conn: sqlite3.Connection, offline: bool) -> None:
    kv.put(conn, {KEY_OFFLINE: "1" if offline else "0"})


def save_status(conn: sqlite3.Connection, status: SyncStatus) -> None:
    """What the worker last saw (counts are not saved: readers count live)."""
    retry = None if status.retry_at is None else f"{status.retry_at:.3f}"
    values = dict(zip(_STATUS_KEYS, (status.state.value, status.reason.value, status.detail, retry), strict=True))
    if all(kv.get(conn, k) == v for k, v in values.items()):
        return  # unchanged: no write, keeps the idle worker silent on disk
    kv.put(conn, values)


def load_status(conn: sqlite3.Connection) -> SyncStatus | None:
    """The saved status without counts, or None before the first cycle."""
    state, reason, detail, retry = (kv.get(conn, key) for key in _STATUS_KEYS)
    parsed = parse_state(state)
    if parsed is None:
        return None
    return SyncStatus(parsed, SyncReason.parse(reason), detail or "", retry_at=float(retry) if retry else None)



def log_attempt(conn: sqlite3.Connection, stream: str, count: int, result: str, success: bool,
                http_status: int | None, duration_ms: int, error: str | None) -> None:
    """One ``sync_log`` row per request (seed 004) plus the §10.11 request counters."""
    now = utc_now_iso()
    with write_transaction(conn):
        conn.execute(
            "INSERT INTO sync_log(created_at, direction, stream, record_count, result, success, http_status, "
            "duration_ms, error) VALUES (?, 'upload', ?, ?, ?, ?, ?, ?, ?)",
            (now, stream, count, result, int(success), http_status, duration_ms, error))
        bump(conn, "sync_requests_ok" if success else "sync_requests_failed", 1, now)


def prune_log(conn: sqlite3.Connection, keep_days: int) -> int:
    cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with write_transaction(conn):
        return conn.execute("DELETE FROM sync_log WHERE created_at < ?", (cutoff,)).rowcount


def last_success(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT MAX(created_at) FROM sync_log WHERE success = 1").fetchone()
    return None if row is None else row[0]


def recent_log(conn: sqlite3.Connection, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT created_at, stream, record_count, result, success, http_status, duration_ms, error "
        "FROM sync_log ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [dict(r) for r in rows]


def quarantine_list(conn: sqlite3.Connection, limit: int = 500) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, stream, client_id, http_status, error, quarantined_at FROM sync_quarantine "
        "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [dict(r) for r in rows]
