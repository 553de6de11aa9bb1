"""Outbox writes of the monitoring agent: spans, timeline entries, aggregates, screenshot rows.

Every string is cleaned per INGESTION_API.md §10.3 on the way in, each row gets its lowercase UUID v4
``client_id`` in the inserting statement, and aggregate rows follow §7.3: a change sets
``updated_at = max(now, previous + 1 ms)`` and clears ``synced_at``. A full disk is an expected
state: the write is skipped, ``agent_metrics.disk_full_<stream>`` is counted and the caller
keeps running (``write_*`` return False).
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from app.errors import DiskFullError, StorageError
from app.monitor.aggregates import DayAggregates, TimelineEntry, compute_day
from app.monitor.clean import (
    MAX_LABEL,
    MAX_PROCESS_NAME,
    MAX_WINDOW_TITLE,
    clean_domain,
    clean_text,
    clean_url,
)
from app.monitor.spans import Span
from app.monitor.timeutil import day_bounds_ms, iso_to_ms, ms_to_iso, now_ms
from app.storage.db import ConnectionFactory, write_transaction

log = logging.getLogger(__name__)

# Quarantined rows (the sync worker sets synced_at = 'quarantined') never reached the server.
SYNCED = "(synced_at IS NOT NULL AND synced_at != 'quarantined') AS synced"

HEARTBEAT_COLUMNS = (
    "client_id", "started_at", "ended_at", "tz", "status", "cpu_percent", "memory_percent",
    "process_name", "window_title", "domain", "url", "battery_level", "battery_plugged",
    "category", "category_name", "passive",
)


def new_client_id() -> str:
    return str(uuid.uuid4())


def next_updated_at(previous: str | None, now: int) -> str:
    """Contract §7.3: ``max(local now, previous + 1 ms)`` so a newer version always sorts later."""
    if previous is None:
        return ms_to_iso(now)
    return ms_to_iso(max(now, iso_to_ms(previous) + 1))


def heartbeat_row(span: Span) -> tuple[Any, ...]:
    url = clean_url(span.url)
    return (
        span.client_id or new_client_id(), ms_to_iso(span.start_ms), ms_to_iso(span.end_ms),
        span.tz or "UTC", span.status,
        min(100.0, max(0.0, span.cpu_percent)), min(100.0, max(0.0, span.memory_percent)),
        clean_text(span.process_name, MAX_PROCESS_NAME), clean_text(span.window_title, MAX_WINDOW_TITLE),
        clean_domain(span.domain), url,
        None if span.battery_level is None else min(100.0, max(0.0, span.battery_level)),
        None if span.battery_plugged is None else int(bool(span.battery_plugged)),
        span.category, clean_text(span.category_name, 128) or None, int(span.passive),
    )


def span_from_row(row: sqlite3.Row) -> Span:
    return Span(
        start_ms=iso_to_ms(row["started_at"]), end_ms=iso_to_ms(row["ended_at"]), tz=row["tz"],
        status=row["status"], process_name=row["process_name"], window_title=row["window_title"],
        domain=row["domain"], url=row["url"], cpu_percent=row["cpu_percent"],
        memory_percent=row["memory_percent"], battery_level=row["battery_level"],
        battery_plugged=None if row["battery_plugged"] is None else bool(row["battery_plugged"]),
        client_id=row["client_id"], category=row["category"], category_name=row["category_name"],
        passive=bool(row["passive"]),
    )


class MonitorStore:
    """Thin SQL shell over the outbox tables. Use from one thread (its own connection)."""

    def __init__(self, db: ConnectionFactory, *, clock: Callable[[], int] = now_ms) -> None:
        self.db = db
        self.clock = clock
        self._unsaved_counters: dict[str, int] = {}

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.get()

    # ---- counters ----------------------------------------------------------------------
    def bump(self, name: str, by: int = 1) -> None:
        """Grow an ``agent_metrics`` counter; kept in memory and retried if the disk is full."""
        self._unsaved_counters[name] = self._unsaved_counters.get(name, 0) + by
        pending, self._unsaved_counters = self._unsaved_counters, {}
        try:
            with write_transaction(self.conn) as conn:
                for key, value in pending.items():
                    conn.execute(
                        "INSERT INTO agent_metrics(name, value, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value, "
                        "updated_at = excluded.updated_at",
                        (key, value, ms_to_iso(self.clock())),
                    )
        except StorageError as exc:
            log.warning("counter %s not saved yet: %s", name, exc)
            for key, value in pending.items():
                self._unsaved_counters[key] = self._unsaved_counters.get(key, 0) + value

    def counter(self, name: str) -> int:
        row = self.conn.execute("SELECT value FROM agent_metrics WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def _guarded(self, stream: str, count: int, write: Callable[[sqlite3.Connection], object]) -> bool:
        try:
            with write_transaction(self.conn) as conn:
                write(conn)
        except DiskFullError as exc:
            log.warning("disk full: %d %s row(s) skipped (%s)", count, stream, exc)
            self.bump(f"disk_full_{stream}", count)
            return False
        return True

    # ---- append-only streams -----------------------------------------------------------
    def write_spans(self, spans: Sequence[Span]) -> bool:
        if not spans:
            return True
        rows = [heartbeat_row(span) for span in spans]
        sql = (f"INSERT OR IGNORE INTO heartbeats ({', '.join(HEARTBEAT_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(HEARTBEAT_COLUMNS))})")
        return self._guarded("heartbeats", len(rows), lambda conn: conn.executemany(sql, rows))

    def write_timeline(self, entries: Sequence[TimelineEntry]) -> bool:
        if not entries:
            return True
        rows = [(e.client_id or new_client_id(), ms_to_iso(e.start_ms), ms_to_iso(e.end_ms), e.tz, e.kind,
                 clean_text(e.label, MAX_LABEL)) for e in entries]
        sql = ("INSERT OR IGNORE INTO timeline (client_id, started_at, ended_at, tz, kind, label) "
               "VALUES (?, ?, ?, ?, ?, ?)")
        return self._guarded("timeline", len(rows), lambda conn: conn.executemany(sql, rows))

    # ---- reading -----------------------------------------------------------------------
    def spans_between(self, lo_ms: int, hi_ms: int) -> list[Span]:
        rows = self.conn.execute(
            "SELECT * FROM heartbeats WHERE started_at < ? AND ended_at > ? ORDER BY started_at, id",
            (ms_to_iso(hi_ms), ms_to_iso(lo_ms)),
        ).fetchall()
        return [span_from_row(row) for row in rows]

    def spans_for_day(self, day: date, zone: ZoneInfo) -> list[Span]:
        return self.spans_between(*day_bounds_ms(day, zone))

    # ---- aggregates --------------------------------------------------------------------
    def update_day(self, day: date, zone: ZoneInfo, *, workday_hours: float = 8) -> DayAggregates | None:
        """Recompute one local day from its spans and upsert the three aggregate rows."""
        agg = compute_day(self.spans_for_day(day, zone), day, zone, workday_hours=workday_hours)
        ok = self._guarded("aggregates", 1, lambda conn: self._upsert(conn, agg))
        return agg if ok else None

    def _upsert(self, conn: sqlite3.Connection, agg: DayAggregates) -> None:
        day = agg.day.isoformat()
        now = self.clock()
        for domain, values in agg.website_usage.items():
            self._upsert_row(conn, "website_usage", {"date": day, "domain": domain}, values, now)
        self._upsert_row(conn, "productivity", {"date": day}, agg.productivity, now)
        self._upsert_row(conn, "wellness", {"date": day}, agg.wellness, now)

    @staticmethod
    def _upsert_row(conn: sqlite3.Connection, table: str, key: dict[str, Any], values: dict[str, Any],
                    now: int) -> None:
        where = " AND ".join(f"{name} = ?" for name in key)
        cols = list(values)
        row = conn.execute(f"SELECT {', '.join(cols)}, updated_at FROM {table} WHERE {where}",
                           tuple(key.values())).fetchone()
        if row is None:
            names = ["client_id", *key, *cols, "updated_at"]
            params = [new_client_id(), *key.values(), *values.values(), next_updated_at(None, now)]
            conn.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         params)
            return
        if all(row[c] == values[c] for c in cols):
            return
        sets = ", ".join(f"{c} = ?" for c in cols)
        conn.execute(
            f"UPDATE {table} SET {sets}, updated_at = ?, synced_at = NULL WHERE {where}",
            (*values.values(), next_updated_at(row["updated_at"], now), *key.values()),
        )

    def aggregates_for_day(self, day: date) -> dict[str, Any]:
        text = day.isoformat()
        conn = self.conn
        websites = [dict(r) for r in conn.execute(
            "SELECT client_id, domain, duration_seconds, tag, updated_at, " + SYNCED + " "
            "FROM website_usage WHERE date = ? ORDER BY duration_seconds DESC, domain", (text,))]
        prod = conn.execute(
            "SELECT client_id, productive_seconds, unproductive_seconds, neutral_seconds, idle_seconds, score, "
            "updated_at, " + SYNCED + " FROM productivity WHERE date = ?", (text,)).fetchone()
        well = conn.execute(
            "SELECT client_id, active_seconds, break_count, longest_streak_seconds, overtime_seconds, "
            "updated_at, " + SYNCED + " FROM wellness WHERE date = ?", (text,)).fetchone()

        def tidy(row: sqlite3.Row | None) -> dict[str, Any]:
            if row is None:
                return {}
            out = dict(row)
            out["synced"] = bool(out["synced"])
            return out

        for item in websites:
            item["synced"] = bool(item["synced"])
        return {"website_usage": websites, "productivity": tidy(prod), "wellness": tidy(well)}

    # ---- screenshots -------------------------------------------------------------------
    def insert_screenshot(self, row: dict[str, Any]) -> bool:
        cols = ["client_id", "captured_at", "file_path", "sha256", "size_bytes", "width", "height",
                "format", "blurred"]
        params = [row[c] for c in cols]
        sql = f"INSERT INTO screenshots ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        return self._guarded("screenshots", 1, lambda conn: conn.execute(sql, params))

    def screenshots_between(self, lo_ms: int, hi_ms: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT client_id, captured_at, file_path, sha256, size_bytes, width, height, format, blurred, "
            "" + SYNCED + " FROM screenshots WHERE captured_at >= ? AND captured_at < ? "
            "ORDER BY captured_at", (ms_to_iso(lo_ms), ms_to_iso(hi_ms))).fetchall()
        return [dict(r) for r in rows]

    def all_screenshots(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT client_id, captured_at, file_path, size_bytes, synced_at FROM screenshots "
            "ORDER BY captured_at").fetchall()
        return [dict(r) for r in rows]

    def delete_screenshot_rows(self, client_ids: Iterable[str]) -> int:
        ids = list(client_ids)
        if not ids:
            return 0
        with write_transaction(self.conn) as conn:
            cur = conn.executemany("DELETE FROM screenshots WHERE client_id = ?", [(i,) for i in ids])
        return cur.rowcount
