"""Where the running timer is kept between runs: one JSON value in the ``settings`` table.

Written when the timer starts and every few seconds while it runs ("last known time"), removed
when it stops, so after a crash the next start knows what was running and for how long.

It is also how the window and the task CLI share one timer: ``wfh-agent task start/stop`` write it,
an open window adopts or drops what it finds. ``take`` and ``save_if_current`` compare and write in
one transaction, so two processes stopping the same timer add its time once, and a window's periodic
save never brings back a timer the CLI has just stopped.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from app.errors import StorageError
from app.storage import kv
from app.storage.db import ConnectionFactory, write_transaction

log = logging.getLogger(__name__)

TIMER_KEY = "timer.running"


@dataclass(frozen=True)
class RunningTimer:
    """The timer as last seen running: enough to resume it or to stop it at that time."""

    task_id: int
    started_at: str      # UTC ISO instant the timer started (for the user)
    last_seen: str       # UTC ISO instant the app last saw it running
    elapsed_seconds: int  # seconds counted up to last_seen
    source: str = "app"   # "cli": started by ``wfh-agent task start``, so running on purpose, not left by a crash

    def same_run(self, other: RunningTimer | None) -> bool:
        """The same start of the same task (what a later save of this run may replace)."""
        return other is not None and (other.task_id, other.started_at) == (self.task_id, self.started_at)

    def seconds_until(self, now: datetime) -> int:
        """The counted time plus the gap since it was last seen running."""
        gap = (now - parse_iso(self.last_seen)).total_seconds()
        return self.elapsed_seconds + max(0, int(gap))


def iso_utc(moment: datetime) -> str:
    """``2026-11-26T09:00:00Z``: how the saved timer spells instants."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TimerStore:
    """Load, save and clear the one saved ``RunningTimer`` of a profile."""

    def __init__(self, db: ConnectionFactory) -> None:
        self._db = db

    def load(self) -> RunningTimer | None:
        return self._decode(kv.get(self._db.get(), TIMER_KEY))

    @staticmethod
    def _decode(value: str | None) -> RunningTimer | None:
        if not value:
            return None
        try:
            data = json.loads(value)
            return RunningTimer(int(data["task_id"]), str(data["started_at"]), str(data["last_seen"]),
                                max(0, int(data["elapsed_seconds"])), str(data.get("source", "app")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable saved timer %r: %s", value, exc)
            return None

    def save_if_current(self, timer: RunningTimer) -> bool:
        """Save ``timer`` only while the stored one is the same run; False when another process stopped or
        replaced it (then nothing is written)."""
        conn = self._db.get()
        with write_transaction(conn):
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (TIMER_KEY,)).fetchone()
            if not timer.same_run(self._decode(row[0] if row else None)):
                return False
            conn.execute("UPDATE settings SET value = ?, updated_at = CURRENT_TIMESTAMP WHERE key = ?",
                         (json.dumps(asdict(timer)), TIMER_KEY))
        return True

    def take(self, expected: RunningTimer | None = None) -> RunningTimer | None:
        """Remove and return the saved timer in one transaction (only if it is ``expected``'s run, when given).

        Whoever takes it adds its time; a second taker gets None, so the time is never added twice.
        """
        conn = self._db.get()
        with write_transaction(conn):
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (TIMER_KEY,)).fetchone()
            saved = self._decode(row[0] if row else None)
            if saved is None or (expected is not None and not expected.same_run(saved)):
                return None
            conn.execute("DELETE FROM settings WHERE key = ?", (TIMER_KEY,))
        return saved

    def save(self, timer: RunningTimer) -> bool:
        """Save ``timer``; False (logged) when it could not be written: a full disk must not stop the timer."""
        try:
            kv.put(self._db.get(), {TIMER_KEY: json.dumps(asdict(timer))})
        except (StorageError, sqlite3.Error, OSError) as exc:
            log.warning("could not save the running timer: %s", exc)
            return False
        return True

    def clear(self) -> None:
        kv.delete(self._db.get(), [TIMER_KEY])
