"""Rollups of heartbeats, kept in the same transaction as the ingest (migration 0004).

Range reports read seconds per 15-minute slot instead of raw heartbeats. A batch's rows are found
again by primary key and only those written by the current transaction (``xmin``) are counted, so a
resent or concurrently duplicated heartbeat never counts twice. Upserts run in key order so two
batches of one device cannot deadlock.
"""

from __future__ import annotations

from typing import Any

from ingestion.db import AsyncConn
from ingestion.validation import STREAMS

# Rows of the batch that this transaction stored: all of them when nothing was a duplicate (the
# common case: no lookup at all), else those found again by primary key with our ``xmin``. The batch's
# first and last ``started_at`` (the partition column, migration "partitions") prune the lookup to the
# partitions the batch can be in, usually one, instead of one index scan per month.
_ALL_NEW = """
    SELECT * FROM unnest(%(start)b::timestamptz[], %(end)b::timestamptz[], %(status)b::text[],
                         %(process)b::text[], %(domain)b::text[], %(tz)b::text[])
        AS u(started_at, ended_at, status, process_name, domain, tz)
"""
_SOME_NEW = """
    SELECT h.started_at, h.ended_at, h.status, h.process_name, h.domain, h.tz
    FROM unnest(%(ids)b::uuid[], %(start)b::timestamptz[]) AS u(client_id, started_at)
    JOIN heartbeats h ON h.device_id = %(device)s AND h.started_at = u.started_at AND h.client_id = u.client_id
    WHERE h.xmin = pg_current_xact_id()::xid AND h.started_at BETWEEN %(first)s AND %(last)s
"""
_PIECES = """
WITH new AS ({new}), pieces AS (
    SELECT n.status, n.process_name, n.domain, q AS bucket,
           extract(epoch FROM least(n.ended_at, q + interval '15 minutes') - greatest(n.started_at, q))
               ::float8 AS seconds
    FROM new n,
         generate_series(date_bin('15 minutes', n.started_at, 'epoch'), n.ended_at, interval '15 minutes') q
    WHERE least(n.ended_at, q + interval '15 minutes') > greatest(n.started_at, q)
), by_status AS (
    INSERT INTO status_quarters AS r (emp_id, bucket, device_id, status, seconds)
    SELECT %(emp)s, bucket, %(device)s, status, sum(seconds) FROM pieces
    GROUP BY bucket, status ORDER BY bucket, status
    ON CONFLICT (emp_id, bucket, device_id, status) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_app AS (
    INSERT INTO app_quarters AS r (emp_id, bucket, device_id, process_name, seconds)
    SELECT %(emp)s, bucket, %(device)s, process_name, sum(seconds) FROM pieces WHERE status = 'active'
    GROUP BY bucket, process_name ORDER BY bucket, process_name
    ON CONFLICT (emp_id, bucket, device_id, process_name) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_domain AS (
    INSERT INTO domain_quarters AS r (emp_id, bucket, device_id, domain, seconds)
    SELECT %(emp)s, bucket, %(device)s, domain, sum(seconds) FROM pieces
    WHERE status = 'active' AND domain IS NOT NULL
    GROUP BY bucket, domain ORDER BY bucket, domain
    ON CONFLICT (emp_id, bucket, device_id, domain) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), latest AS (
    INSERT INTO device_state AS s (device_id, emp_id, last_seen_at, tz)
    SELECT %(device)s, %(emp)s, ended_at, tz FROM new ORDER BY ended_at DESC LIMIT 1
    ON CONFLICT (device_id) DO UPDATE SET emp_id = EXCLUDED.emp_id, last_seen_at = EXCLUDED.last_seen_at,
        tz = EXCLUDED.tz WHERE s.last_seen_at <= EXCLUDED.last_seen_at
)
SELECT 1
"""
_SQL = {True: _PIECES.format(new=_ALL_NEW), False: _PIECES.format(new=_SOME_NEW)}
_FIELDS = [f.name for f in STREAMS["heartbeats"].fields]
_INDEX = {name: _FIELDS.index(name) for name in
          ("client_id", "started_at", "ended_at", "status", "process_name", "domain", "tz")}


async def add_heartbeats(conn: AsyncConn, device_id: int, emp_id: int, rows: list[list[Any]],
                         all_stored: bool) -> None:
    """Add the heartbeats of ``rows`` (validated, in-batch deduplicated) that this transaction stored;
    ``all_stored`` when the insert accepted every one of them."""
    if not rows:
        return
    if all_stored:
        params = {key: [row[_INDEX[name]] for row in rows] for key, name in (
            ("start", "started_at"), ("end", "ended_at"), ("status", "status"), ("process", "process_name"),
            ("domain", "domain"), ("tz", "tz"))}
    else:
        starts = [row[_INDEX["started_at"]] for row in rows]
        params = {"ids": [row[_INDEX["client_id"]] for row in rows], "start": starts,
                  "first": min(starts), "last": max(starts)}
    await conn.execute(_SQL[all_stored], {**params, "device": device_id, "emp": emp_id})
