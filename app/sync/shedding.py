"""Queue caps and shedding (INGESTION_API.md §10.9): keep the unsent queue inside its disk budget.

Checked every 600 s by the sync worker and before each screenshot is written (call ``check``).
What is dropped, in order: unsent screenshots, unsent timeline rows, then heartbeats and
aggregate rows older than ``queue.keep_days``. Younger heartbeats and aggregates are never
dropped: if only those are left the report says ``queue_full`` and recording goes on.
Every dropped row or file is counted in ``agent_metrics.dropped_<stream>``.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.config import Settings
from app.storage.db import write_transaction
from app.sync.outbox import bump, utc_now_iso

log = logging.getLogger(__name__)

MIB = 1024 * 1024
CHUNK = 200
# (table, time column, only rows older than keep_days)
TOTAL_ORDER = (("screenshots", "captured_at", False), ("timeline", "started_at", False),
               ("heartbeats", "started_at", True), ("website_usage", "date", True),
               ("productivity", "date", True), ("wellness", "date", True))


@dataclass
class ShedReport:
    """What a queue-cap check dropped and whether only protected rows are left ("Local queue full")."""

    dropped: dict[str, int] = field(default_factory=dict)
    queue_full: bool = False
    db_bytes: int = 0
    screenshot_bytes: int = 0
    free_bytes: int = 0


def db_bytes(conn: sqlite3.Connection) -> int:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def unsent_screenshot_bytes(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(SUM(size_bytes), 0) FROM screenshots WHERE synced_at IS NULL")
               .fetchone()[0])


def _drop(conn: sqlite3.Connection, data_dir: Path, table: str, column: str, cutoff: str | None) -> int:
    """Drop the oldest chunk of unsent rows of one table; returns how many."""
    where = "synced_at IS NULL" + (f" AND {column} < ?" if cutoff else "")
    params: tuple[Any, ...] = (cutoff,) if cutoff else ()
    extra = ", file_path" if table == "screenshots" else ""
    limit = 1 if table == "screenshots" else CHUNK  # files are big: one at a time stops close to the target
    rows = conn.execute(f"SELECT id{extra} FROM {table} WHERE {where} ORDER BY {column}, id LIMIT {limit}",
                        params).fetchall()
    if not rows:
        return 0
    with write_transaction(conn):
        conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(r["id"],) for r in rows])
        bump(conn, f"dropped_{table}", len(rows), utc_now_iso())
    if table == "screenshots":
        base = data_dir.resolve()
        for row in rows:
            target = (base / row["file_path"]).resolve()
            if base in target.parents:
                try:
                    target.unlink()
                except OSError:
                    pass
    return len(rows)


def check(conn: sqlite3.Connection, settings: Settings, data_dir: Path, *,
          disk_free: Callable[[Path], int] | None = None, now: datetime | None = None) -> ShedReport:
    """Measure, and shed if a cap is exceeded, until usage is below 90 % of that cap."""
    free_of = disk_free or (lambda p: shutil.disk_usage(p).free)
    q = settings.get("ingestion.queue") or {}
    shot_cap = int(q.get("max_screenshot_mb", 1024)) * MIB
    total_cap = int(q.get("max_total_mb", 2048)) * MIB
    min_free = int(q.get("min_free_disk_mb", 1024)) * MIB
    keep = timedelta(days=int(q.get("keep_days", 30)))
    moment = now or datetime.now(UTC)
    report = ShedReport()

    def measure() -> None:
        report.db_bytes, report.screenshot_bytes = db_bytes(conn), unsent_screenshot_bytes(conn)
        report.free_bytes = free_of(data_dir)

    def note(table: str, n: int) -> None:
        report.dropped[table] = report.dropped.get(table, 0) + n

    measure()
    if report.screenshot_bytes > shot_cap:
        while report.screenshot_bytes >= 0.9 * shot_cap:
            n = _drop(conn, data_dir, "screenshots", "captured_at", None)
            if not n:
                break
            note("screenshots", n)
            measure()

    def over_total() -> bool:
        return report.db_bytes + report.screenshot_bytes > total_cap or report.free_bytes < min_free

    def still_high() -> bool:
        return report.db_bytes + report.screenshot_bytes >= 0.9 * total_cap or report.free_bytes < min_free / 0.9

    if over_total():
        for table, column, old_only in TOTAL_ORDER:
            cutoff = None
            if old_only:
                edge = moment - keep
                cutoff = edge.date().isoformat() if column == "date" else edge.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            while still_high():
                n = _drop(conn, data_dir, table, column, cutoff)
                if not n:
                    break
                note(table, n)
                measure()
            if not still_high():
                break
        report.queue_full = over_total()
    if report.dropped:
        log.warning("queue over its cap: dropped %s", report.dropped)
    if report.queue_full:
        log.warning("local queue full: only recent heartbeats and aggregates are left")
    return report
