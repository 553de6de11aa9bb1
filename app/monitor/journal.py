"""Crash-safe monitoring: what the span merger holds in memory, persisted with every tick.

Closed spans are held back (idle threshold + one interval) so idle time can be back-dated, and the
open span and the open timeline entry live only in memory; a ``kill -9`` or a power cut lost all of
it. ``MonitorJournal.save`` writes, in one short transaction, the spans and timeline entries that
became final (outbox rows with their ``client_id``) and replaces the journal with what is still held.
A span is therefore either in the journal or in the outbox, never in both and never in neither, so a
replay can never send anything twice. ``load`` reads the journal back at startup (the runner closes
it into final rows); the Activity view reads it to show the spans still in progress.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.monitor.aggregates import TimelineEntry
from app.monitor.clean import MAX_LABEL, MAX_PROCESS_NAME, MAX_WINDOW_TITLE, clean_domain, clean_text, clean_url
from app.monitor.spans import Span
from app.monitor.store import HEARTBEAT_COLUMNS, MonitorStore, heartbeat_row, new_client_id
from app.monitor.timeutil import iso_to_ms, ms_to_iso

JOURNAL_COLUMNS = (
    "kind", "started_at", "ended_at", "tz", "status", "cpu_percent", "memory_percent", "process_name",
    "window_title", "domain", "url", "battery_level", "battery_plugged", "label", "written_at", "passive",
)
PAUSED_UNTIL = "paused_until"
METHODS_IN_USE = "methods_in_use"   # what the last started monitor actually uses (Diagnostics)
PAUSED_INDEFINITELY = "until-resumed"

_INSERT_HEARTBEATS = (f"INSERT OR IGNORE INTO heartbeats ({', '.join(HEARTBEAT_COLUMNS)}) "
                      f"VALUES ({', '.join('?' * len(HEARTBEAT_COLUMNS))})")
_INSERT_TIMELINE = ("INSERT OR IGNORE INTO timeline (client_id, started_at, ended_at, tz, kind, label) "
                    "VALUES (?, ?, ?, ?, ?, ?)")
_INSERT_JOURNAL = (f"INSERT INTO monitor_journal ({', '.join(JOURNAL_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(JOURNAL_COLUMNS))})")


@dataclass
class Held:
    """The journal's content: pending (closed, not final) spans, the open span, the open timeline entry."""

    pending: list[Span] = field(default_factory=list)
    open_span: Span | None = None
    timeline: TimelineEntry | None = None

    def spans(self) -> list[Span]:
        """Pending and open spans in time order, zero-length ones left out."""
        spans = [*self.pending, *([self.open_span] if self.open_span else [])]
        return [s for s in spans if s.duration_ms > 0]

    def empty(self) -> bool:
        return not self.pending and self.open_span is None and self.timeline is None


def _span_row(kind: str, span: Span, written: str) -> tuple[Any, ...]:
    return (kind, ms_to_iso(span.start_ms), ms_to_iso(span.end_ms), span.tz or "UTC", span.status,
            span.cpu_percent, span.memory_percent, clean_text(span.process_name, MAX_PROCESS_NAME),
            clean_text(span.window_title, MAX_WINDOW_TITLE), clean_domain(span.domain), clean_url(span.url),
            span.battery_level, None if span.battery_plugged is None else int(bool(span.battery_plugged)),
            "", written, int(span.passive))


def _entry_row(entry: TimelineEntry, written: str) -> tuple[Any, ...]:
    return ("timeline", ms_to_iso(entry.start_ms), ms_to_iso(entry.end_ms), entry.tz, entry.kind, 0.0, 0.0,
            "", "", None, None, None, None, clean_text(entry.label, MAX_LABEL), written, 0)


def _row_span(row: sqlite3.Row) -> Span:
    return Span(start_ms=iso_to_ms(row["started_at"]), end_ms=iso_to_ms(row["ended_at"]), tz=row["tz"],
                status=row["status"], process_name=row["process_name"], window_title=row["window_title"],
                domain=row["domain"], url=row["url"], cpu_percent=row["cpu_percent"],
                memory_percent=row["memory_percent"], battery_level=row["battery_level"],
                battery_plugged=None if row["battery_plugged"] is None else bool(row["battery_plugged"]),
                passive=bool(row["passive"]))


class MonitorJournal:
    """Journal and outbox writes of one runner (its thread's connection)."""

    def __init__(self, store: MonitorStore) -> None:
        self.store = store

    def save(self, final: Sequence[Span], entries: Sequence[TimelineEntry], held: Held) -> bool:
        """Final spans and entries to the outbox and the journal replaced by ``held``, atomically.

        False when the disk is full (counted; the previous journal stays, so nothing already held is lost).
        """
        spans = [heartbeat_row(s) for s in final]
        for span, row in zip(final, spans, strict=True):
            span.client_id = row[0]
        timeline = [(e.client_id or new_client_id(), ms_to_iso(e.start_ms), ms_to_iso(e.end_ms), e.tz, e.kind,
                     clean_text(e.label, MAX_LABEL)) for e in entries]
        written = ms_to_iso(self.store.clock())
        journal = [_span_row("pending", s, written) for s in held.pending]
        if held.open_span is not None:
            journal.append(_span_row("open", held.open_span, written))
        if held.timeline is not None:
            journal.append(_entry_row(held.timeline, written))

        def write(conn: sqlite3.Connection) -> None:
            if spans:
                conn.executemany(_INSERT_HEARTBEATS, spans)
            if timeline:
                conn.executemany(_INSERT_TIMELINE, timeline)
            conn.execute("DELETE FROM monitor_journal")
            if journal:
                conn.executemany(_INSERT_JOURNAL, journal)

        return self.store._guarded("heartbeats" if spans else "journal", max(1, len(spans)), write)

    def load(self) -> Held:
        held = Held()
        rows = self.store.conn.execute("SELECT * FROM monitor_journal ORDER BY seq").fetchall()
        for row in rows:
            if row["kind"] == "timeline":
                held.timeline = TimelineEntry(iso_to_ms(row["started_at"]), iso_to_ms(row["ended_at"]), row["tz"],
                                              row["status"], row["label"])
            elif row["kind"] == "open":
                held.open_span = _row_span(row)
            else:
                held.pending.append(_row_span(row))
        return held

    # ---- persistent pause ------------------------------------------------------------------
    def save_pause(self, until_ms: int | None, *, paused: bool) -> None:
        """Remember a pause (``until_ms`` None: until resumed) or, with ``paused=False``, forget it."""
        value = None if not paused else PAUSED_INDEFINITELY if until_ms is None else ms_to_iso(until_ms)

        def write(conn: sqlite3.Connection) -> None:
            if value is None:
                conn.execute("DELETE FROM monitor_state WHERE key = ?", (PAUSED_UNTIL,))
            else:
                conn.execute("INSERT INTO monitor_state(key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (PAUSED_UNTIL, value))

        self.store._guarded("monitor_state", 1, write)

    def save_methods(self, window: Any, idle: Any) -> None:
        """Record the backends this run really uses (after any fallback) for Diagnostics."""
        text = f"window titles via {describe_backend(window)}; idle via {describe_backend(idle)}"
        self.store._guarded("monitor_state", 1, lambda conn: conn.execute(
            "INSERT INTO monitor_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
            "excluded.value", (METHODS_IN_USE, text)))

    def load_pause(self, now_ms: int) -> tuple[bool, int | None]:
        """``(paused, until_ms)`` of a pause saved before a restart; an expired pause is forgotten."""
        row = self.store.conn.execute("SELECT value FROM monitor_state WHERE key = ?", (PAUSED_UNTIL,)).fetchone()
        if row is None:
            return False, None
        if row[0] == PAUSED_INDEFINITELY:
            return True, None
        try:
            until = iso_to_ms(row[0])
        except ValueError:
            until = now_ms  # unreadable: treat as expired rather than pause forever
        if until <= now_ms:
            self.save_pause(None, paused=False)
            return False, None
        return True, until


def describe_backend(backend: Any) -> str:
    """A backend in words: why it cannot read (unknown backends), what it reads through, or its name."""
    return str(getattr(backend, "reason", None) or getattr(backend, "description", None) or backend.name)


def read_state(store: MonitorStore, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM monitor_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def read_held(store: MonitorStore) -> Held:
    """The journal as it is now (another thread's runner writes it), for displays."""
    return MonitorJournal(store).load()
