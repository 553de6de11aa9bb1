"""All SQL of the ingest path (INGESTION_API.md §7, §12.4).

One statement per batch: a data-modifying CTE inserts the rows from ``unnest`` of one array per
column and the batch's ``ingest_log`` row together (for heartbeats also the reports' rollup of the
rows the insert returns: ``reports/rollups.py``), so the batch is a single atomic transaction in one
round trip. Append-only streams rely on ``ON CONFLICT (device_id, started_at, client_id) DO NOTHING``
alone: the tables are partitioned by ``started_at`` (migration "partitions"), a row is routed to its
partition and PostgreSQL probes that partition's unique index before inserting, so a resend costs one
index probe per row in one partition (a record never changes, so its ``started_at`` is the same each time). (An
earlier ``NOT EXISTS`` anti-join let the cached generic plan, made while the table was small, hash
all of the device's stored rows for every batch: the rate fell as the table grew, issue 13.)
Aggregates upsert on their natural key and only a strictly later ``updated_at`` wins. Arrays are
bound in binary format (``%b``): for a 200-record heartbeat batch psycopg dumps them in about
0.36 ms instead of 2.0 ms as text.

Every record that passes validation must be storable; should PostgreSQL still refuse one (a data or
constraint error), the batch is stored again record by record, each in its own savepoint, and only
the refused records are rejected. Deadlocks and serialization failures are retried (rows arrive
sorted by natural key, so concurrent batches lock in one order and rarely meet).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from psycopg import errors as pg_errors

from ingestion.db import AsyncConn, retrying
from ingestion.reports import rollups
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


# (column, SQL array type) in the order validation.STREAMS produces values: derived from the stream description.
_COLUMNS: dict[str, list[tuple[str, str]]] = {name: stream.columns for name, stream in STREAMS.items()}
_NATURAL_KEY = {name: ", ".join(("device_id", *stream.natural_key)) for name, stream in STREAMS.items()
                if stream.aggregate}

_LOG_COLUMNS = ("device_id, key_id, endpoint, http_status, record_count, accepted, duplicates, rejected,"
                " body_bytes, duration_ms, request_id, user_agent")


def stream_sql(stream: Stream, rollups_on: bool = True) -> str:
    """The batch statement of ``stream``; for heartbeats with the reports' rollup of the stored rows
    unless ``rollups_on`` is false (the benchmarks' baseline)."""
    cols = _COLUMNS[stream.name]
    names = ", ".join(name for name, _ in cols)
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in cols)
    selected = ", ".join(f"u.{name}" for name, _ in cols)
    insert = (
        f"INSERT INTO {stream.table} (device_id, emp_id, {names})"
        f" SELECT %s, %s, {selected} FROM unnest({arrays}) AS u({names})"
    )
    if stream.aggregate:
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in cols if name not in stream.natural_key)
        insert += (
            f" ON CONFLICT ({_NATURAL_KEY[stream.name]}) DO UPDATE SET emp_id = EXCLUDED.emp_id, {updates},"
            f" received_at = now() WHERE {stream.table}.updated_at < EXCLUDED.updated_at"
        )
    else:
        insert += " ON CONFLICT (device_id, started_at, client_id) DO NOTHING"
    rolled = rollups_on and stream.name == "heartbeats"
    return (
        f"WITH ins AS ({insert} RETURNING {rollups.RETURNING if rolled else 1}),"
        f" n AS (SELECT count(*)::int AS accepted{rollups.SPAN_COLUMNS if rolled else ''} FROM ins),"
        f" lg AS (INSERT INTO ingest_log ({_LOG_COLUMNS})"
        f" SELECT %s, %s, %s, %s, %s, n.accepted, %s - n.accepted, %s, %s, %s, %s, %s FROM n)"
        f"{rollups.ctes('ins') + rollups.SPAN if rolled else ''}"
        f" SELECT accepted FROM n"
    )


_SQL = {name: stream_sql(stream) for name, stream in STREAMS.items()}
# The rows part alone, for the record-by-record fallback: "WITH ins AS (<insert> RETURNING 1) ...".
_ROWS_SQL = {name: sql[len("WITH ins AS ("):sql.index(" RETURNING ")] + " RETURNING 1"
             for name, sql in _SQL.items()}
log = logging.getLogger("ingestion.ingest")


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


@dataclass
class Stored:
    """What PostgreSQL kept: ``accepted`` rows, and ``refused`` as (row position, reason)."""

    accepted: int
    refused: list[tuple[int, str]] = field(default_factory=list)


def _params(stream: Stream, device_id: int, emp_id: int, rows: list[list[Any]]) -> list[Any]:
    return [device_id, emp_id, *columns(stream, rows)]


def _log_params(device_id: int, entry: LogEntry, valid: int) -> list[Any]:
    return [device_id, entry.key_id, entry.endpoint, entry.http_status, entry.record_count,
            valid, entry.rejected, entry.body_bytes, entry.duration_ms, entry.request_id, entry.user_agent]


async def store_batch(conn: AsyncConn, stream: Stream, device_id: int, emp_id: int,
                      rows: list[list[Any]], valid: int, entry: LogEntry) -> Stored:
    """Write the deduplicated valid ``rows`` and the log row atomically.

    ``valid`` is the number of valid records before in-batch reduction, so the log's
    ``duplicates`` (valid - accepted - refused) matches the response.
    """
    async def whole() -> Stored:
        # One statement (records, the rollup for heartbeats, the log row) is its own
        # transaction: no BEGIN/COMMIT round trips.
        params = _params(stream, device_id, emp_id, rows) + _log_params(device_id, entry, valid)
        row = await (await conn.execute(_SQL[stream.name], params)).fetchone()
        return Stored(int(row[0]) if row else 0)

    try:
        result: Stored = await retrying(whole)
        return result
    except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
        log.warning("batch of %d %s refused by PostgreSQL (%s); storing record by record",
                    len(rows), stream.name, type(exc).__name__)
    one_by_one: Stored = await retrying(lambda: _store_each(conn, stream, device_id, emp_id, rows, valid, entry))
    return one_by_one


async def _store_each(conn: AsyncConn, stream: Stream, device_id: int, emp_id: int,
                      rows: list[list[Any]], valid: int, entry: LogEntry) -> Stored:
    """Fallback: one savepoint per row; the refused rows are reported, the others kept."""
    stored = Stored(0)
    kept: list[list[Any]] = []
    async with conn.transaction():
        for position, row in enumerate(rows):
            try:
                async with conn.transaction():
                    cur = await conn.execute(_ROWS_SQL[stream.name], _params(stream, device_id, emp_id, [row]))
                    if await cur.fetchall():
                        stored.accepted += 1
                        kept.append(row)
            except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
                stored.refused.append((position, f"record: not storable ({type(exc).__name__})"))
        if kept and stream.name == "heartbeats":
            await rollups.add_rows(conn, device_id, emp_id, kept)
        refused = len(stored.refused)
        await log_request(conn, device_id, replace(entry, rejected=entry.rejected + refused),
                          accepted=stored.accepted, duplicates=valid - refused - stored.accepted)
    return stored


async def log_request(conn: AsyncConn, device_id: int, entry: LogEntry, accepted: int = 0,
                      duplicates: int = 0) -> None:
    """An ``ingest_log`` row in its own statement (4xx answers and screenshots)."""
    await conn.execute(
        f"INSERT INTO ingest_log ({_LOG_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (device_id, entry.key_id, entry.endpoint, entry.http_status, entry.record_count, accepted,
         duplicates, entry.rejected, entry.body_bytes, entry.duration_ms, entry.request_id,
         entry.user_agent),
    )
