"""Small named values in the ``settings`` table (sync state, consent, the running timer, last cleanup).

The one place that writes that table by hand, so the upsert is spelled once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from app.storage.db import write_transaction

_UPSERT = ("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP) "
           "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")


def get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def put(conn: sqlite3.Connection, values: Mapping[str, str | None]) -> None:
    """Write all ``values`` in one transaction."""
    with write_transaction(conn):
        for key, value in values.items():
            conn.execute(_UPSERT, (key, value))


def put_in_transaction(conn: sqlite3.Connection, values: Mapping[str, str | None]) -> None:
    """Write ``values`` inside the caller's open transaction (a value that must commit with other rows)."""
    for key, value in values.items():
        conn.execute(_UPSERT, (key, value))


def delete(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    with write_transaction(conn):
        for key in keys:
            conn.execute("DELETE FROM settings WHERE key = ?", (key,))
