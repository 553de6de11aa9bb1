"""Rollups of heartbeats, kept in the same statement as the ingest (migrations 0004 and 0005).

Range reports read seconds per 15-minute slot and per local day instead of raw heartbeats. The ingest
statement folds their maintenance in: its heartbeat insert returns the rows it stored (``RETURNING``
yields only rows the insert wrote, never a resent or concurrently duplicated one, so nothing counts
twice) and data-modifying CTEs over those rows upsert the rollups, all in one statement and one
round trip. Every rollup key starts with the employee and holds the device, so batches of different
devices never touch the same rollup row; within one device the upserts run in key order, so two
concurrent batches lock in the same order and cannot deadlock. ``add_heartbeats`` is the same
maintenance as a separate statement, for the record-by-record fallback of a refused batch.
"""

from __future__ import annotations

from typing import Any

from ingestion.db import AsyncConn
from ingestion.validation import STREAMS

# What the heartbeat insert returns for the rollups (the columns the CTEs below read from ``source``).
RETURNING = "device_id, emp_id, started_at, ended_at, status, process_name, domain, tz"

_CTES = """
pieces AS (
    SELECT n.device_id, n.emp_id, n.status, n.process_name, n.domain, n.tz, q AS bucket,
           extract(epoch FROM least(n.ended_at, q + interval '15 minutes') - greatest(n.started_at, q))
               ::float8 AS seconds
    FROM {source} n,
         generate_series(date_bin('15 minutes', n.started_at, 'epoch'), n.ended_at, interval '15 minutes') q
    WHERE least(n.ended_at, q + interval '15 minutes') > greatest(n.started_at, q)
), zones AS MATERIALIZED (
    SELECT t.tz, coalesce((SELECT k.name FROM known_zones k WHERE k.name = t.tz), 'UTC') AS known
    FROM (SELECT DISTINCT tz FROM {source}) t
), by_status AS (
    INSERT INTO status_quarters AS r (emp_id, bucket, device_id, status, seconds)
    SELECT emp_id, bucket, device_id, status, sum(seconds) FROM pieces
    GROUP BY emp_id, bucket, device_id, status ORDER BY emp_id, bucket, device_id, status
    ON CONFLICT (emp_id, bucket, device_id, status) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_day AS (
    INSERT INTO status_days AS r (emp_id, day, tz, device_id, status, seconds)
    SELECT p.emp_id, (p.bucket AT TIME ZONE z.known)::date AS day, z.known, p.device_id, p.status, sum(p.seconds)
    FROM pieces p JOIN zones z ON z.tz = p.tz
    GROUP BY p.emp_id, day, z.known, p.device_id, p.status ORDER BY p.emp_id, day, z.known, p.device_id, p.status
    ON CONFLICT (emp_id, day, tz, device_id, status) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_app AS (
    INSERT INTO app_quarters AS r (emp_id, bucket, device_id, process_name, seconds)
    SELECT emp_id, bucket, device_id, process_name, sum(seconds) FROM pieces WHERE status = 'active'
    GROUP BY emp_id, bucket, device_id, process_name ORDER BY emp_id, bucket, device_id, process_name
    ON CONFLICT (emp_id, bucket, device_id, process_name) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_domain AS (
    INSERT INTO domain_quarters AS r (emp_id, bucket, device_id, domain, seconds)
    SELECT emp_id, bucket, device_id, domain, sum(seconds) FROM pieces
    WHERE status = 'active' AND domain IS NOT NULL
    GROUP BY emp_id, bucket, device_id, domain ORDER BY emp_id, bucket, device_id, domain
    ON CONFLICT (emp_id, bucket, device_id, domain) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), latest AS (
    INSERT INTO device_state AS s (device_id, emp_id, last_seen_at, tz)
    SELECT DISTINCT ON (device_id) device_id, emp_id, ended_at, tz FROM {source}
    ORDER BY device_id, ended_at DESC
    ON CONFLICT (device_id) DO UPDATE SET emp_id = EXCLUDED.emp_id, last_seen_at = EXCLUDED.last_seen_at,
        tz = EXCLUDED.tz WHERE s.last_seen_at <= EXCLUDED.last_seen_at
)"""


def ctes(source: str) -> str:
    """The rollup CTEs (``, pieces AS (...), ...``) over ``source``, a CTE or table with ``RETURNING``'s
    columns; to be placed after ``source`` in a ``WITH`` list."""
    return ", " + _CTES.strip().format(source=source)


_SEPARATE = ("WITH new AS (SELECT %(device)s::bigint AS device_id, %(emp)s::integer AS emp_id, u.*"
             " FROM unnest(%(start)b::timestamptz[], %(end)b::timestamptz[], %(status)b::text[],"
             " %(process)b::text[], %(domain)b::text[], %(tz)b::text[])"
             " AS u(started_at, ended_at, status, process_name, domain, tz))" + ctes("new") + " SELECT 1")
_FIELDS = [f.name for f in STREAMS["heartbeats"].fields]
_INDEX = {name: _FIELDS.index(name) for name in ("started_at", "ended_at", "status", "process_name", "domain", "tz")}


async def add_heartbeats(conn: AsyncConn, device_id: int, emp_id: int, rows: list[list[Any]]) -> None:
    """Add ``rows`` (validated heartbeats that the current transaction stored) to the rollups."""
    if not rows:
        return
    params = {key: [row[_INDEX[name]] for row in rows] for key, name in (
        ("start", "started_at"), ("end", "ended_at"), ("status", "status"), ("process", "process_name"),
        ("domain", "domain"), ("tz", "tz"))}
    await conn.execute(_SEPARATE, {**params, "device": device_id, "emp": emp_id})
