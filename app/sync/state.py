"""Small persistent sync facts kept in SQLite: the Work offline switch, the last state, the sync_log.

They live in the database (``settings`` table, ``sync_log``) rather than in memory so that the
headless ``status`` command and the GUI agree on what the worker last saw.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from app.storage.db import write_transaction
from app.sync.outbox import bump, utc_now_iso

KEY_OFFLINE = "sync.work_offline"
KEY_STATE = "sync.state"
KEY_DETAIL = "sync.detail"
KEY_RETRY_AT = "sync.retry_at"


def _get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _put(conn: sqlite3.Connection, values: dict[str, str | None]) -> None:
    with write_transaction(conn):
        for key, value in values.items():
            conn.execute(
                "INSERT INTO settings(key, value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value))


def work_offline(conn: sqlite3.Connection) -> bool:
    return _get(conn, KEY_OFFLINE) == "1"


def set_work_offline(conn: sqlite3.Connection, offline: bool) -> None:
    _put(conn, {KEY_OFFLINE: "1" if offline else "0"})


def save_state(conn: sqlite3.Connection, name: str, detail: str, retry_at: float | None) -> None:
    values = {KEY_STATE: name, KEY_DETAIL: detail, KEY_RETRY_AT: None if retry_at is None else f"{retry_at:.3f}"}
    if all(_get(conn, k) == v for k, v in values.items()):
        return  # unchanged: no write, keeps the idle worker silent on disk
    _put(conn, values)


def load_state(conn: sqlite3.Connection) -> dict[str, Any]:
    retry = _get(conn, KEY_RETRY_AT)
    return {"state": _get(conn, KEY_STATE), "detail": _get(conn, KEY_DETAIL) or "",
            "retry_at": float(retry) if retry else None}


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
