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
from app.storage import kv
from app.storage.db import ConnectionFactory

log = logging.getLogger(__name__)

TIMER_KEY = "timer.running"


@dataclass(frozen=True)
class RunningTimer:
    """The timer as last seen running: enough to resume it or to stop it at that time."""

    task_id: int
    started_at: str      # UTC ISO instant the timer started (for the user)
    last_seen: str       # UTC ISO instant the app last saw it running
    elapsed_seconds: int  # seconds counted up to last_seen


class TimerStore:
    """Load, save and clear the one saved ``RunningTimer`` of a profile."""

    def __init__(self, db: ConnectionFactory) -> None:
        self._db = db

    def load(self) -> RunningTimer | None:
        value = kv.get(self._db.get(), TIMER_KEY)
        if not value:
            return None
        try:
            data = json.loads(value)
            return RunningTimer(int(data["task_id"]), str(data["started_at"]), str(data["last_seen"]),
                                max(0, int(data["elapsed_seconds"])))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable saved timer %r: %s", value, exc)
            return None

    def save(self, timer: RunningTimer) -> None:
        try:
            kv.put(self._db.get(), {TIMER_KEY: json.dumps(asdict(timer))})
        except (StorageError, sqlite3.Error, OSError) as exc:  # a full disk must not stop the timer itself
            log.warning("could not save the running timer: %s", exc)

    def clear(self) -> None:
        kv.delete(self._db.get(), [TIMER_KEY])
