"""All SQL of the ingest path (INGESTION_API.md §7, §12.4).

One statement per batch: a data-modifying CTE inserts the rows from ``unnest`` of one array per
column and the batch's ``ingest_log`` row together, so the batch is a single atomic transaction in
one round trip. Append-only streams first drop ``client_id``s the device already stored (anti-join),
so a resend costs an index probe per row instead of a conflicting insert; ``ON CONFLICT DO NOTHING``
still settles races between concurrent identical batches. Aggregates upsert on their natural key and
only a strictly later ``updated_at`` wins. Arrays are bound in binary format (``%b``): for a 200-record
heartbeat batch psycopg dumps them in about 0.36 ms instead of 2.0 ms as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingestion.db import AsyncConn
from ingestion.reports.rollups import add_heartbeats
from ingestion.validation import STREAMS, Stream


@dataclass(frozen=True)
class LogEntry:
    """The ``ingest_log`` columns known before the batch is written."""

    key_id: int
    endpoint: str
    http_status: int
    record_count: int
    rejected: int
    body_bytes: int
    duration_ms: int
    request_id: str
    user_agent: str | None


# (column, SQL array type) in the order validation.STREAMS produces values.
_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "heartbeats": [
        ("client_id", "uuid"), ("started_at", "timestamptz"), ("ended_at", "timestamptz"), ("tz", "text"),
        ("status", "text"), ("cpu_percent", "real"), ("memory_percent", "real"),
        ("process_name", "text"), ("window_title", "text"), ("domain", "text"), ("url", "text"),
        ("battery_level", "real"), ("battery_plugged", "boolean"),
        ("geo_lat", "float8"), ("geo_lon", "float8"),
    ],
    "timeline": [
        ("client_id", "uuid"), ("started_at", "timestamptz"), ("ended_at", "timestamptz"), ("tz", "text"),
        ("kind", "text"), ("label", "text"), ("task_id", "text"),
    ],
    "website_usage": [
        ("client_id", "uuid"), ("date", "date"), ("domain", "text"), ("duration_seconds", "int4"),
        ("tag", "text"), ("updated_at", "timestamptz"),
    ],
    "productivity": [
        ("client_id", "uuid"), ("date", "date"), ("productive_seconds", "int4"),
        ("unproductive_seconds", "int4"), ("neutral_seconds", "int4"), ("idle_seconds", "int4"),
        ("score", "real"), ("updated_at", "timestamptz"),
    ],
    "wellness": [
        ("client_id", "uuid"), ("date", "date"), ("active_seconds", "int4"), ("break_count", "int4"),
        ("longest_streak_seconds", "int4"), ("overtime_seconds", "int4"), ("updated_at", "timestamptz"),
    ],
}
_NATURAL_KEY = {"website_usage": "device_id, date, domain", "productivity": "device_id, date",
                "wellness": "device_id, date"}

_LOG_COLUMNS = ("device_id, key_id, endpoint, http_status, record_count, accepted, duplicates, rejected,"
                " body_bytes, duration_ms, request_id, user_agent")


def _stream_sql(stream: Stream) -> str:
    cols = _COLUMNS[stream.name]
    names = ", ".join(name for name, _ in cols)
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in cols)
    selected = ", ".join(f"u.{name}" for name, _ in cols)
    insert = (
        f"INSERT INTO {stream.table} (device_id, emp_id, {names})"
        f" SELECT %s, %s, {selected} FROM unnest({arrays}) AS u({names})"
    )
    if stream.aggregate:
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in cols if name not in ("date", "domain"))
        insert += (
            f" ON CONFLICT ({_NATURAL_KEY[stream.name]}) DO UPDATE SET emp_id = EXCLUDED.emp_id, {updates},"
            f" received_at = now() WHERE {stream.table}.updated_at < EXCLUDED.updated_at"
        )
    else:
        insert += (
            f" WHERE NOT EXISTS (SELECT 1 FROM {stream.table} t"
            f" WHERE t.device_id = %s AND t.client_id = u.client_id)"
            " ON CONFLICT (device_id, client_id) DO NOTHING"
        )
    return (
        f"WITH ins AS ({insert} RETURNING 1),"
        f" n AS (SELECT count(*)::int AS accepted FROM ins),"
        f" lg AS (INSERT INTO ingest_log ({_LOG_COLUMNS})"
        f" SELECT %s, %s, %s, %s, %s, n.accepted, %s - n.accepted, %s, %s, %s, %s, %s FROM n)"
        f" SELECT accepted FROM n"
    )


_SQL = {name: _stream_sql(stream) for name, stream in STREAMS.items()}


def columns(stream: Stream, rows: list[list[Any]]) -> list[list[Any]]:
    """One list per column; the heartbeat ``geo`` pair becomes ``geo_lat`` and ``geo_lon``."""
    width = len(stream.fields)
    if not rows:
        cols: list[list[Any]] = [[] for _ in range(width)]
    else:
        cols = [list(col) for col in zip(*rows, strict=True)]
    if stream.name == "heartbeats":
        geo = cols.pop()
        cols.append([g[0] if g is not None else None for g in geo])
        cols.append([g[1] if g is not None else None for g in geo])
    return cols


async def store_batch(conn: AsyncConn, stream: Stream, device_id: int, emp_id: int,
                      rows: list[list[Any]], valid: int, entry: LogEntry) -> int:
    """Write the deduplicated valid ``rows`` and the log row atomically; return ``accepted``.

    ``valid`` is the number of valid records before in-batch reduction, so the log's
    ``duplicates`` (valid - accepted) matches the response.
    """
    params: list[Any] = [device_id, emp_id, *columns(stream, rows)]
    if not stream.aggregate:
        params.append(device_id)
    params += [device_id, entry.key_id, entry.endpoint, entry.http_status, entry.record_count,
               valid, entry.rejected, entry.body_bytes, entry.duration_ms, entry.request_id,
               entry.user_agent]
    async with conn.transaction():
        cur = await conn.execute(_SQL[stream.name], params)
        row = await cur.fetchone()
        accepted = int(row[0]) if row else 0
        if accepted and stream.name == "heartbeats":  # the reports' rollups, in the same transaction
            await add_heartbeats(conn, device_id, emp_id, rows, accepted == len(rows))
    return accepted


async def log_request(conn: AsyncConn, device_id: int, entry: LogEntry, accepted: int = 0,
                      duplicates: int = 0) -> None:
    """An ``ingest_log`` row in its own statement (4xx answers and screenshots)."""
    await conn.execute(
        f"INSERT INTO ingest_log ({_LOG_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (device_id, entry.key_id, entry.endpoint, entry.http_status, entry.record_count, accepted,
         duplicates, entry.rejected, entry.body_bytes, entry.duration_ms, entry.request_id,
         entry.user_agent),
    )
