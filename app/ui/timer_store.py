"""Where the running timer is kept between runs: one JSON value in the ``settings`` table.

Written when the timer starts and every few seconds while it runs ("last known time"), removed
when it stops, so after a crash the next start knows what was running and for how long.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict, dataclass

from app.errors import StorageError
from app.storage.db import ConnectionFactory, write_transaction

log = logging.getLogger(__name__)

TIMER_KEY = "timer.running"


@dataclass(frozen=True)
class RunningTimer:
    task_id: int
    started_at: str      # UTC ISO instant the timer started (for the user)
    last_seen: str       # UTC ISO instant the app last saw it running
    elapsed_seconds: int  # seconds counted up to last_seen


class TimerStore:
    def __init__(self, db: ConnectionFactory) -> None:
        self._db = db

    def load(self) -> RunningTimer | None:
        row = self._db.get().execute("SELECT value FROM settings WHERE key = ?", (TIMER_KEY,)).fetchone()
        if row is None or not row[0]:
            return None
        try:
            data = json.loads(row[0])
            return RunningTimer(int(data["task_id"]), str(data["started_at"]), str(data["last_seen"]),
                                max(0, int(data["elapsed_seconds"])))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable saved timer %r: %s", row[0], exc)
            return None

    def save(self, timer: RunningTimer) -> None:
        try:
            with write_transaction(self._db.get()) as conn:
                conn.execute(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (TIMER_KEY, json.dumps(asdict(timer))),
                )
        except (StorageError, sqlite3.Error, OSError) as exc:  # a full disk must not stop the timer itself
            log.warning("could not save the running timer: %s", exc)

    def clear(self) -> None:
        with write_transaction(self._db.get()) as conn:
            conn.execute("DELETE FROM settings WHERE key = ?", (TIMER_KEY,))
