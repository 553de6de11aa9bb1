"""Same-run baselines for ``bench_ingest.py``: the benchmark's rows written by COPY and executemany.

Every baseline takes the rows the API phase sends, validated by the server's own ``validate_batch`` (so
it measures storing, not checking). Two ceilings of "one bulk COPY of the same rows" (issue 13):

* into ``bench_copy``, a plain table ``LIKE heartbeats INCLUDING ALL`` (its indexes and constraints, but
  no partitions and no foreign key): what PostgreSQL can take at most;
* into ``heartbeats`` itself (partition routing, the foreign key to ``devices``, the unique index), under
  a device of its own, rolled back afterwards: the same table with the same guarantees as the API.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ingestion.ingest import _SQL, columns
from ingestion.validation import STREAMS, Clock, validate_batch
from tests.support.pg import connect

COPY_TYPES = ["int8", "int4", "uuid", "timestamptz", "timestamptz", "text", "text", "float4", "float4", "text",
              "text", "text", "text", "float4", "bool", "float8", "float8"]
COLUMNS = ("device_id, emp_id, client_id, started_at, ended_at, tz, status, cpu_percent, memory_percent,"
           " process_name, window_title, domain, url, battery_level, battery_plugged, geo_lat, geo_lon")

Rows = list[list[Any]]


def validated(batches: list[list[dict[str, Any]]]) -> list[Rows]:
    clock = Clock.at()
    return [validate_batch(STREAMS["heartbeats"], b, clock).rows for b in batches]


def _copy(conn: Any, table: str, device_id: int, emp_id: int, rows: Rows) -> None:
    with conn.cursor().copy(f"COPY {table} ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(COPY_TYPES)
        for r in rows:
            copy.write_row((device_id, emp_id, uuid.UUID(r[0]), *r[1:-1], *(r[-1] or (None, None))))


def _copy_rows(url: str, batches: list[Rows]) -> float:
    """COPY each list of validated rows in its own transaction into the scratch table; rows/s."""
    with connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_copy (LIKE heartbeats INCLUDING ALL)")
        conn.execute("TRUNCATE bench_copy")
        start = time.perf_counter()
        for rows in batches:
            with conn.transaction():
                _copy(conn, "bench_copy", 1, 1001, rows)
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_copy")
    return sum(len(r) for r in batches) / elapsed


def baseline_copy(url: str, batches: list[list[dict[str, Any]]]) -> float:
    """COPY the same rows into the plain table, one COPY + commit per 200-row batch."""
    return _copy_rows(url, validated(batches))


def baseline_bulk_copy(url: str, batches: list[list[dict[str, Any]]]) -> float:
    """Ceiling: one binary COPY of all the rows into the plain table, one transaction."""
    return _copy_rows(url, [[r for rows in validated(batches) for r in rows]])


def baseline_bulk_copy_heartbeats(url: str, batches: list[list[dict[str, Any]]], device_id: int,
                                  emp_id: int) -> float:
    """One binary COPY of all the rows into ``heartbeats`` under ``device_id`` (a device the API phase does
    not use), one transaction that is then rolled back and vacuumed away; rows/s until the COPY ends."""
    rows = [r for batch in validated(batches) for r in batch]
    with connect(url) as conn:
        conn.execute("BEGIN")
        start = time.perf_counter()
        _copy(conn, "heartbeats", device_id, emp_id, rows)
        elapsed = time.perf_counter() - start
        conn.execute("ROLLBACK")
        conn.execute("VACUUM heartbeats")
    return len(rows) / elapsed


def baseline_executemany(url: str, batches: list[list[dict[str, Any]]]) -> float:
    """executemany of the same rows (INSERT … ON CONFLICT DO NOTHING) into a plain table, 200 per commit."""
    prepared = validated(batches)
    with connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_many (LIKE heartbeats INCLUDING ALL)")
        start = time.perf_counter()
        for rows in prepared:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO bench_many ({COLUMNS}) VALUES (1, 1001, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                    " %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    [(*r[:-1], *(r[-1] or (None, None))) for r in rows],
                )
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_many")
    return sum(len(r) for r in prepared) / elapsed


def statement_unnest_vs_copy(url: str, device_id: int, key_id: int, size: int, count: int,
                             heartbeat_records: Callable[[int, datetime], list[dict[str, Any]]]) -> dict[str, float]:
    """The two allowed ingest statements (§12.4) on 'size'-record batches, interleaved batch by batch on
    one connection so that load from other processes hits both alike."""
    stream = STREAMS["heartbeats"]
    clock = Clock.at()
    base = datetime.now(UTC)
    copy_insert = (
        "INSERT INTO heartbeats (device_id, emp_id, client_id, started_at, ended_at, tz, status, cpu_percent,"
        " memory_percent, process_name, window_title, domain, url, battery_level, battery_plugged, geo_lat,"
        " geo_lon) SELECT %s, %s, t.* FROM tmp_hb t ON CONFLICT (device_id, started_at, client_id) DO NOTHING"
    )
    spent = {"unnest": 0.0, "copy_temp": 0.0}
    with connect(url) as conn:
        for n in range(count + 2):  # the first two rounds warm caches and prepared statements
            for method in ("unnest", "copy_temp") if n % 2 else ("copy_temp", "unnest"):
                rows = validate_batch(stream, heartbeat_records(size, base), clock).rows
                start = time.perf_counter()
                if method == "unnest":
                    params = [device_id, 1001, *columns(stream, rows), device_id, key_id, "heartbeats",
                              200, size, size, 0, 0, 0, "bench", None]
                    conn.execute(_SQL["heartbeats"], params)
                else:
                    with conn.transaction():
                        conn.execute(
                            "CREATE TEMP TABLE tmp_hb (client_id uuid, started_at timestamptz, ended_at timestamptz,"
                            " tz text, status text, cpu_percent real, memory_percent real, process_name text,"
                            " window_title text, domain text, url text, battery_level real, battery_plugged bool,"
                            " geo_lat float8, geo_lon float8) ON COMMIT DROP")
                        with conn.cursor().copy("COPY tmp_hb FROM STDIN (FORMAT BINARY)") as copy:
                            copy.set_types(COPY_TYPES[2:])
                            for r in rows:
                                copy.write_row((uuid.UUID(r[0]), *r[1:-1], *(r[-1] or (None, None))))
                        conn.execute(copy_insert, (device_id, 1001))
                        conn.execute(
                            "INSERT INTO ingest_log (device_id, key_id, endpoint, http_status, record_count,"
                            " accepted, duplicates, rejected, body_bytes, duration_ms, request_id)"
                            " VALUES (%s, %s, 'heartbeats', 200, %s, %s, 0, 0, 0, 0, 'bench')",
                            (device_id, key_id, size, size))
                if n >= 2:
                    spent[method] += time.perf_counter() - start
    return {method: size * count / seconds for method, seconds in spent.items()}
