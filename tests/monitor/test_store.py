"""Outbox writes: contract cleaning, aggregate upserts with §7.3 updated_at, disk full."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from app.monitor.spans import Span
from app.monitor.store import MonitorStore, next_updated_at
from app.monitor.timeutil import iso_to_ms

UTC_ZONE = ZoneInfo("UTC")
DAY = date(2026, 11, 26)


def span(start: str, end: str, **kw: Any) -> Span:
    values: dict[str, Any] = {"tz": "UTC", "status": "active", "process_name": "code",
                              "window_title": "main.py", "category": "productive"}
    values.update(kw)
    return Span(start_ms=iso_to_ms(start), end_ms=iso_to_ms(end), client_id=str(uuid.uuid4()), **values)


def test_spans_are_cleaned_to_contract_limits(profile: Any) -> None:
    store = MonitorStore(profile.db)
    title = "A\x00b\x01" + "\ud800" + "x" * 100_000
    assert store.write_spans([span("2026-11-26T08:00:00Z", "2026-11-26T08:05:00Z", window_title=title,
                                   process_name="p" * 1000, url="https://e.com/?" + "q" * 3000,
                                   domain="E.COM")])
    row = store.conn.execute("SELECT * FROM heartbeats").fetchone()
    assert len(row["window_title"]) == 1024 and row["window_title"].startswith("Ab \ufffdx")
    assert "\x00" not in row["window_title"]
    assert len(row["process_name"]) == 256
    assert row["url"] == "https://e.com/" and row["domain"] == "e.com"
    assert row["synced_at"] is None
    uuid.UUID(row["client_id"], version=4)


def test_same_client_id_is_written_once(profile: Any) -> None:
    store = MonitorStore(profile.db)
    one = span("2026-11-26T08:00:00Z", "2026-11-26T08:05:00Z")
    store.write_spans([one])
    store.write_spans([one])
    assert store.conn.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 1


def test_aggregates_upsert_bumps_updated_at_and_clears_synced_even_when_clock_goes_back(profile: Any) -> None:
    now = [iso_to_ms("2026-11-26T10:00:00Z")]
    store = MonitorStore(profile.db, clock=lambda: now[0])
    store.write_spans([span("2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z", domain="github.com")])
    store.update_day(DAY, UTC_ZONE)
    conn = store.conn
    first = conn.execute("SELECT client_id, updated_at FROM productivity").fetchone()
    conn.execute("UPDATE productivity SET synced_at = '2026-11-26T10:00:01.000Z'")
    conn.execute("UPDATE website_usage SET synced_at = '2026-11-26T10:00:01.000Z'")

    store.update_day(DAY, UTC_ZONE)  # nothing changed: untouched, still synced
    assert conn.execute("SELECT synced_at FROM productivity").fetchone()[0] is not None

    now[0] -= 3_600_000  # clock jumps back 1 h, then new activity arrives
    store.write_spans([span("2026-11-26T09:00:00Z", "2026-11-26T09:30:00Z", category="unproductive")])
    store.update_day(DAY, UTC_ZONE)
    row = conn.execute("SELECT client_id, updated_at, synced_at, unproductive_seconds FROM productivity").fetchone()
    assert row["client_id"] == first["client_id"]
    assert row["synced_at"] is None and row["unproductive_seconds"] == 1800
    assert iso_to_ms(row["updated_at"]) == iso_to_ms(first["updated_at"]) + 1
    site = conn.execute("SELECT duration_seconds, synced_at FROM website_usage").fetchone()
    assert site["duration_seconds"] == 3600 and site["synced_at"] is not None  # unchanged row stays synced


def test_next_updated_at_rule() -> None:
    assert next_updated_at(None, 1000) == "1970-01-01T00:00:01.000Z"
    assert next_updated_at("1970-01-01T00:00:05.000Z", 1000) == "1970-01-01T00:00:05.001Z"
    assert next_updated_at("1970-01-01T00:00:05.000Z", 9000) == "1970-01-01T00:00:09.000Z"


def _fill_disk(conn: sqlite3.Connection) -> int:
    """Make SQLite report SQLITE_FULL: cap the file at its current page count (no root, no real disk)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return int(pages)


def test_disk_full_skips_the_write_counts_it_and_keeps_going(profile: Any) -> None:
    store = MonitorStore(profile.db)
    conn = store.conn
    _fill_disk(conn)
    big = [span(f"2026-11-26T08:{m:02d}:00Z", f"2026-11-26T08:{m:02d}:30Z", window_title="t" * 1000)
           for m in range(60)]
    assert store.write_spans(big) is False                    # no exception, nothing written
    assert conn.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 0
    conn.execute("PRAGMA max_page_count = 1073741823")         # space freed
    assert store.write_spans(big[:1]) is True
    store.bump("probe")                                        # pending counters flush with the next write
    assert store.counter("disk_full_heartbeats") == 60
    assert store.counter("probe") == 1


def test_quarantined_rows_do_not_count_as_synced(profile: Any) -> None:
    store = MonitorStore(profile.db)
    store.write_spans([span("2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z", domain="a.com")])
    store.update_day(DAY, UTC_ZONE)
    conn = store.conn
    conn.execute("UPDATE website_usage SET synced_at = 'quarantined'")
    conn.execute("UPDATE productivity SET synced_at = '2026-11-26T10:00:00.000Z'")
    agg = store.aggregates_for_day(DAY)
    assert agg["website_usage"][0]["synced"] is False
    assert agg["productivity"]["synced"] is True and agg["wellness"]["synced"] is False
