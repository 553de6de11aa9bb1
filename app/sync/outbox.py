"""Reading the local outbox into contract records (§6, §10.5) and recording the server's verdict (§10.6).

A row is unsynced while ``synced_at`` is NULL. A quarantined row gets ``synced_at = 'quarantined'``
(and a ``sync_quarantine`` row) so it leaves the queue without deleting local history; an
aggregate row that changes later is cleared by the monitor and goes out again as a new version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.storage.db import write_transaction

QUARANTINED = "quarantined"

# Per stream: (column, JSON kind) in contract order. Kinds: s string, i integer, n number, b boolean, g geo.
FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "heartbeats": (
        ("client_id", "s"), ("started_at", "s"), ("ended_at", "s"), ("tz", "s"), ("status", "s"),
        ("cpu_percent", "n"), ("memory_percent", "n"), ("process_name", "s"), ("window_title", "s"),
        ("domain", "s"), ("url", "s"), ("battery_level", "n"), ("battery_plugged", "b"), ("geo", "g"),
    ),
    "timeline": (
        ("client_id", "s"), ("started_at", "s"), ("ended_at", "s"), ("tz", "s"), ("kind", "s"),
        ("label", "s"), ("task_id", "s"),
    ),
    "website_usage": (
        ("client_id", "s"), ("date", "s"), ("domain", "s"), ("duration_seconds", "i"), ("tag", "s"),
        ("updated_at", "s"),
    ),
    "productivity": (
        ("client_id", "s"), ("date", "s"), ("productive_seconds", "i"), ("unproductive_seconds", "i"),
        ("neutral_seconds", "i"), ("idle_seconds", "i"), ("score", "n"), ("updated_at", "s"),
    ),
    "wellness": (
        ("client_id", "s"), ("date", "s"), ("active_seconds", "i"), ("break_count", "i"),
        ("longest_streak_seconds", "i"), ("overtime_seconds", "i"), ("updated_at", "s"),
    ),
    "screenshots": (
        ("client_id", "s"), ("captured_at", "s"), ("sha256", "s"), ("width", "i"), ("height", "i"),
        ("format", "s"), ("blurred", "b"),
    ),
    # Contract v1.2: the user's weeks and tasks, under the app's column names.
    "weeks": (
        ("client_id", "s"), ("week_label", "s"), ("start_date", "s"), ("week_start_day", "i"),
        ("week_end_day", "i"), ("week_start_hour", "i"), ("week_end_hour", "i"), ("is_custom_duration", "b"),
        ("is_bonus_week", "b"), ("bonus_rate", "n"), ("bonus_threshold_seconds", "i"), ("notes", "s"),
        ("created_at", "s"), ("updated_at", "s"), ("deleted_at", "s"),
    ),
    "tasks": (
        ("client_id", "s"), ("week_client_id", "s"), ("attempt_id", "s"), ("project_id", "s"),
        ("project_name", "s"), ("operation_id", "s"), ("feedback", "s"), ("locale", "s"),
        ("duration_seconds", "i"), ("time_limit_seconds", "i"), ("date_audited", "s"), ("time_begin", "s"),
        ("time_end", "s"), ("score", "i"), ("bonus_paid", "b"), ("created_at", "s"), ("updated_at", "s"),
        ("deleted_at", "s"),
    ),
}
AGGREGATES = ("website_usage", "productivity", "wellness")
# Weeks and tasks queue versions in their own outbox tables (migration worklog_sync, filled by triggers): a row
# is marked only if its version (``updated_at``) is still the one sent, like an aggregate row.
WORKLOG = ("weeks", "tasks")
VERSIONED = (*AGGREGATES, *WORKLOG)
_OUTBOX_TABLE = {"weeks": "weeks_outbox", "tasks": "tasks_outbox"}

# The record of each queued version: the live row, or the JSON payload the triggers kept when the row is gone.
_WORKLOG_SELECT = {
    "weeks": """
        SELECT o.id AS row_id, o.client_id AS outbox_client_id, o.updated_at AS version, o.payload,
               w.uuid AS client_id, w.week_label, w.start_date, w.week_start_day, w.week_end_day,
               w.week_start_hour, w.week_end_hour, w.is_custom_duration, w.is_bonus_week, w.bonus_rate,
               w.bonus_threshold_seconds, w.notes, w.created_at, w.sync_updated_at AS updated_at,
               NULL AS deleted_at
        FROM weeks_outbox o LEFT JOIN weeks w ON w.id = o.row_id AND o.payload IS NULL
        WHERE o.synced_at IS NULL ORDER BY o.id LIMIT ?""",
    "tasks": """
        SELECT o.id AS row_id, o.client_id AS outbox_client_id, o.updated_at AS version, o.payload,
               t.uuid AS client_id, w.uuid AS week_client_id, t.attempt_id, t.project_id, t.project_name,
               t.operation_id, t.feedback, t.locale, t.duration_seconds, t.time_limit_seconds, t.date_audited,
               t.time_begin, t.time_end, t.score, t.bonus_paid, t.created_at, t.sync_updated_at AS updated_at,
               CASE WHEN t.deleted_at IS NOT NULL THEN t.sync_updated_at END AS deleted_at
        FROM tasks_outbox o LEFT JOIN tasks_optimized t ON t.id = o.row_id AND o.payload IS NULL
        LEFT JOIN weeks w ON w.id = t.week_id
        WHERE o.synced_at IS NULL ORDER BY o.id LIMIT ?""",
}


def table(stream: str) -> str:
    """The SQLite table holding ``stream``'s unsynced rows (its own table for the monitoring streams)."""
    return _OUTBOX_TABLE.get(stream, stream)


@dataclass(frozen=True)
class OutboxRow:
    """One unsent record: row id, client id, ``updated_at`` (aggregates), the record, the file (screenshots)."""

    row_id: int
    client_id: str
    updated_at: str | None
    record: dict[str, Any]
    file_path: str | None = None


def utc_iso(moment: datetime) -> str:
    """The sync clock's text form, ``2026-11-26T06:00:00.123Z``: such texts compare as their times do."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def utc_now_iso() -> str:
    return utc_iso(datetime.now(UTC))


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "i":
        return int(value)
    if kind == "n":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else float(value)
    if kind == "b":
        return bool(value)
    if kind == "g":
        geo = json.loads(value) if isinstance(value, str) else value
        return None if geo is None else {"lat": geo["lat"], "lon": geo["lon"]}
    return str(value)


def to_record(stream: str, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    """One contract record (no ``emp_id``: the server takes identity from the key)."""
    return {name: _convert(kind, row[name]) for name, kind in FIELDS[stream]}


def fetch_batch(conn: sqlite3.Connection, stream: str, limit: int) -> list[OutboxRow]:
    """Up to ``limit`` unsynced rows, oldest (lowest id, i.e. created order) first."""
    if stream in WORKLOG:
        return _fetch_worklog(conn, stream, limit)
    cols = [name for name, _ in FIELDS[stream]]
    extra = ", updated_at" if stream in AGGREGATES else ", file_path" if stream == "screenshots" else ""
    sql_cols = ", ".join(["id", *cols]) + extra
    rows = conn.execute(
        f"SELECT {sql_cols} FROM {stream} WHERE synced_at IS NULL ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    out = []
    for row in rows:
        out.append(OutboxRow(
            row_id=int(row["id"]), client_id=str(row["client_id"]),
            updated_at=row["updated_at"] if stream in AGGREGATES else None,
            record=to_record(stream, row),
            file_path=row["file_path"] if stream == "screenshots" else None,
        ))
    return out


def _fetch_worklog(conn: sqlite3.Connection, stream: str, limit: int) -> list[OutboxRow]:
    out = []
    orphans = []
    for row in conn.execute(_WORKLOG_SELECT[stream], (limit,)).fetchall():
        if row["payload"] is not None:
            record = to_record(stream, json.loads(row["payload"]))
        elif row["client_id"] is None:  # the row is gone without a payload: nothing left to send
            orphans.append(int(row["row_id"]))
            continue
        else:
            record = to_record(stream, row)
        out.append(OutboxRow(row_id=int(row["row_id"]), client_id=str(row["outbox_client_id"]),
                             updated_at=str(row["version"]), record=record))
    if orphans:
        with write_transaction(conn):
            conn.executemany(f"DELETE FROM {table(stream)} WHERE id = ? AND synced_at IS NULL",
                             [(i,) for i in orphans])
    return out


def serialize(records: Sequence[dict[str, Any]]) -> bytes:
    """Compact UTF-8 JSON envelope, ``ensure_ascii`` off (§10.5)."""
    return json.dumps({"records": list(records)}, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def pending_counts(conn: sqlite3.Connection, streams: Iterable[str]) -> dict[str, int]:
    return {s: int(conn.execute(f"SELECT COUNT(*) FROM {table(s)} WHERE synced_at IS NULL").fetchone()[0])
            for s in streams}


def quarantined_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in conn.execute(
        "SELECT stream, COUNT(*) FROM sync_quarantine GROUP BY stream ORDER BY stream")}


def bump(conn: sqlite3.Connection, name: str, by: int, now: str) -> None:
    if by <= 0:
        return
    conn.execute(
        "INSERT INTO agent_metrics(name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
        "SET value = value + excluded.value, updated_at = excluded.updated_at", (name, by, now))


def counter(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM agent_metrics WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def _quarantine_in(conn: sqlite3.Connection, stream: str, row: OutboxRow, http_status: int | None,
                   error: str, now: str) -> None:
    conn.execute(
        "INSERT INTO sync_quarantine(stream, client_id, payload, http_status, error, quarantined_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (stream, row.client_id, json.dumps(row.record, ensure_ascii=False), http_status, error[:1024], now))
    conn.execute(f"UPDATE {table(stream)} SET synced_at = ? WHERE id = ?", (QUARANTINED, row.row_id))


def commit_batch(conn: sqlite3.Connection, stream: str, batch: Sequence[OutboxRow],
                 rejected: dict[int, str], http_status: int, *, now: Callable[[], str] = utc_now_iso) -> int:
    """After a valid 2xx: mark the accepted rows synced and quarantine the rejected ones, atomically.

    Aggregate rows are marked only if ``updated_at`` still equals what was sent (a row changed
    in flight stays unsynced). Returns the number of rows marked synced.
    """
    stamp = now()
    marked = 0
    with write_transaction(conn):
        for index, row in enumerate(batch):
            if index in rejected:
                _quarantine_in(conn, stream, row, http_status, rejected[index], stamp)
                continue
            if stream in WORKLOG:  # a sent version is done with: the outbox keeps only what is still to go
                cur = conn.execute(
                    f"DELETE FROM {table(stream)} WHERE id = ? AND synced_at IS NULL AND updated_at = ?",
                    (row.row_id, row.updated_at))
            elif stream in AGGREGATES:
                cur = conn.execute(
                    f"UPDATE {stream} SET synced_at = ? WHERE id = ? AND synced_at IS NULL AND updated_at = ?",
                    (stamp, row.row_id, row.updated_at))
            else:
                cur = conn.execute(f"UPDATE {stream} SET synced_at = ? WHERE id = ? AND synced_at IS NULL",
                                   (stamp, row.row_id))
            marked += cur.rowcount
        bump(conn, f"quarantined_{stream}", len(rejected), stamp)
    return marked


def quarantine_rows(conn: sqlite3.Connection, stream: str, rows: Sequence[OutboxRow], http_status: int | None,
                    error: str, *, now: Callable[[], str] = utc_now_iso) -> None:
    """Move whole rows to quarantine (a single record still 413, a refused screenshot)."""
    stamp = now()
    with write_transaction(conn):
        for row in rows:
            _quarantine_in(conn, stream, row, http_status, error, stamp)
        bump(conn, f"quarantined_{stream}", len(rows), stamp)


def count_retry(conn: sqlite3.Connection, stream: str, rows: Sequence[OutboxRow]) -> None:
    """``retry_count`` + 1 for every row of a batch whose attempt failed (seed 004)."""
    if not rows:
        return
    with write_transaction(conn):
        conn.executemany(f"UPDATE {table(stream)} SET retry_count = retry_count + 1 WHERE id = ?",
                         [(r.row_id,) for r in rows])


def retry_quarantined(conn: sqlite3.Connection, quarantine_id: int) -> bool:
    """Manual "Retry": the row goes back into the outbox (§10.8). False, and the dead letter kept, when
    there is no local row to send again."""
    with write_transaction(conn):
        row = conn.execute("SELECT stream, client_id FROM sync_quarantine WHERE id = ?",
                           (quarantine_id,)).fetchone()
        if row is None:
            return False
        stream = str(row["stream"])
        if stream not in FIELDS:
            return False
        back = conn.execute(f"UPDATE {table(stream)} SET synced_at = NULL WHERE client_id = ? AND synced_at = ?",
                            (row["client_id"], QUARANTINED))
        if back.rowcount == 0 and conn.execute(f"SELECT 1 FROM {table(stream)} WHERE client_id = ?",
                                               (row["client_id"],)).fetchone() is None:
            return False  # the local row is gone: keep the letter (it holds the record) rather than claim a retry
        conn.execute("DELETE FROM sync_quarantine WHERE id = ?", (quarantine_id,))
    return True


def discard_quarantined(conn: sqlite3.Connection, quarantine_id: int) -> bool:
    """Manual "Discard": forget the dead letter; the local row stays out of the queue."""
    with write_transaction(conn):
        cur = conn.execute("DELETE FROM sync_quarantine WHERE id = ?", (quarantine_id,))
    return cur.rowcount > 0


def prune_quarantine(conn: sqlite3.Connection, *, keep_days: int = 30, keep_rows: int = 10_000,
                     now: Callable[[], str] = utc_now_iso) -> int:
    """Retention of §10.8: 30 days and 10,000 rows; counted in ``quarantine_pruned``."""
    stamp = now()
    cutoff = (datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - keep_days * 86400)
    cutoff_iso = datetime.fromtimestamp(cutoff, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    with write_transaction(conn):
        old = conn.execute("DELETE FROM sync_quarantine WHERE quarantined_at < ?", (cutoff_iso,)).rowcount
        extra = conn.execute(
            "DELETE FROM sync_quarantine WHERE id IN (SELECT id FROM sync_quarantine ORDER BY id DESC "
            "LIMIT -1 OFFSET ?)", (keep_rows,)).rowcount
        bump(conn, "quarantine_pruned", old + extra, stamp)
    return old + extra
