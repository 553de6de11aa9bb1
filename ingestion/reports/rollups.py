"""Rollups of heartbeats (migrations 0004, 0005), folded in from a queue off the ingest path (0008).

Range reports read seconds per 15-minute slot and per local day instead of raw heartbeats. The ingest
statement only appends the heartbeats it stored to ``rollup_queue`` (``QUEUE``: a CTE over the insert's
``RETURNING``, which yields only rows the insert wrote, never a resent or concurrently duplicated
one); :func:`fold` moves queued rows into the rollups, every ``WFH_INGEST_ROLLUP_SECONDS`` in the
background (:func:`keep_folding`) and before every report read on the primary, so reports are exact.
Upserting ~86 rollup rows per 200 heartbeats inside the ingest statement cost ×1.2–1.4 of an ingest
without rollups and halved the single-record request rate (docs/BENCHMARKS.md); a fold does the same
upserts for many batches at once, away from the device's request.

Exactly once: a fold is one statement whose source is ``DELETE FROM rollup_queue ... RETURNING``, so a
row is added by the fold that deleted it and by no other, however many folds run at once (a second
fold waits for the first one's row locks, then skips the rows it deleted). Every rollup key starts
with the employee and holds the device, and each table is upserted in key order, so concurrent folds
lock in one order; a deadlock is retried anyway.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ingestion import metrics
from ingestion.db import AsyncConn, Database, retrying
from ingestion.errors import ApiError
from ingestion.validation import STREAMS

log = logging.getLogger("ingestion.rollups")

# What the heartbeat insert returns for the rollups (the columns the CTEs below read from ``source``).
RETURNING = "device_id, emp_id, started_at, ended_at, status, process_name, domain, tz"

_CTES = """
pieces AS (
    -- A heartbeat inside one slot (nearly all of them) is one piece without a generate_series call.
    SELECT n.device_id, n.emp_id, n.status, n.process_name, n.domain, n.tz,
           date_bin('15 minutes', n.started_at, 'epoch') AS bucket,
           extract(epoch FROM n.ended_at - n.started_at)::float8 AS seconds
    FROM {source} n
    WHERE n.ended_at > n.started_at
      AND n.ended_at <= date_bin('15 minutes', n.started_at, 'epoch') + interval '15 minutes'
    UNION ALL
    SELECT n.device_id, n.emp_id, n.status, n.process_name, n.domain, n.tz, q AS bucket,
           extract(epoch FROM least(n.ended_at, q + interval '15 minutes') - greatest(n.started_at, q))
               ::float8 AS seconds
    FROM {source} n,
         generate_series(date_bin('15 minutes', n.started_at, 'epoch'), n.ended_at, interval '15 minutes') q
    WHERE n.ended_at > date_bin('15 minutes', n.started_at, 'epoch') + interval '15 minutes'
      AND least(n.ended_at, q + interval '15 minutes') > greatest(n.started_at, q)
), zones AS MATERIALIZED (
    SELECT t.tz, coalesce((SELECT k.name FROM known_zones k WHERE k.name = t.tz), 'UTC') AS known
    FROM (SELECT DISTINCT tz FROM {source}) t
), combos AS MATERIALIZED (
    -- Each slot's seconds per status, application, site and zone once; every rollup below sums these
    -- few rows instead of going over every piece again.
    SELECT emp_id, bucket, device_id, status, process_name, domain, tz, sum(seconds) AS seconds FROM pieces
    GROUP BY emp_id, bucket, device_id, status, process_name, domain, tz
), by_status AS (
    INSERT INTO status_quarters AS r (emp_id, bucket, device_id, status, seconds)
    SELECT emp_id, bucket, device_id, status, sum(seconds) FROM combos
    GROUP BY emp_id, bucket, device_id, status ORDER BY emp_id, bucket, device_id, status
    ON CONFLICT (emp_id, bucket, device_id, status) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_day AS (
    -- The local day of each slot, in the heartbeat's zone, computed per combination, not per piece.
    INSERT INTO status_days AS r (emp_id, day, tz, device_id, status, seconds)
    SELECT p.emp_id, (p.bucket AT TIME ZONE z.known)::date AS day, z.known, p.device_id, p.status, sum(p.seconds)
    FROM combos p JOIN zones z ON z.tz = p.tz
    GROUP BY p.emp_id, day, z.known, p.device_id, p.status ORDER BY p.emp_id, day, z.known, p.device_id, p.status
    ON CONFLICT (emp_id, day, tz, device_id, status) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_app AS (
    INSERT INTO app_quarters AS r (emp_id, bucket, device_id, process_name, seconds)
    SELECT emp_id, bucket, device_id, process_name, sum(seconds) FROM combos WHERE status = 'active'
    GROUP BY emp_id, bucket, device_id, process_name ORDER BY emp_id, bucket, device_id, process_name
    ON CONFLICT (emp_id, bucket, device_id, process_name) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), by_domain AS (
    INSERT INTO domain_quarters AS r (emp_id, bucket, device_id, domain, seconds)
    SELECT emp_id, bucket, device_id, domain, sum(seconds) FROM combos
    WHERE status = 'active' AND domain IS NOT NULL
    GROUP BY emp_id, bucket, device_id, domain ORDER BY emp_id, bucket, device_id, domain
    ON CONFLICT (emp_id, bucket, device_id, domain) DO UPDATE SET seconds = r.seconds + EXCLUDED.seconds
), latest AS (
    INSERT INTO device_state AS s (device_id, emp_id, last_seen_at, tz)
    -- The latest heartbeat per device by hashing, not by sorting every row of the source.
    SELECT DISTINCT ON (n.device_id) n.device_id, n.emp_id, n.ended_at, n.tz
    FROM {source} n JOIN (SELECT device_id, max(ended_at) AS ended_at FROM {source} GROUP BY device_id) m
        ON m.device_id = n.device_id AND m.ended_at = n.ended_at
    ORDER BY n.device_id
    ON CONFLICT (device_id) DO UPDATE SET emp_id = EXCLUDED.emp_id, last_seen_at = EXCLUDED.last_seen_at,
        tz = EXCLUDED.tz WHERE s.last_seen_at <= EXCLUDED.last_seen_at
)"""


def ctes(source: str) -> str:
    """The rollup CTEs (``, pieces AS (...), ...``) over ``source``, a CTE or table with ``RETURNING``'s
    columns; to be placed after ``source`` in a ``WITH`` list."""
    return ", " + _CTES.strip().format(source=source)


# The ingest statement's part, appended to its WITH list after ``ins`` (the heartbeat insert): the queue
# holds exactly the columns the rollup CTEs read.
QUEUE = f", queued AS (INSERT INTO rollup_queue ({RETURNING}) SELECT {RETURNING} FROM ins)"

FOLD_ROWS = 50_000  # queue rows per fold statement: bounds the transaction after a long backlog
FOLD = ("WITH src AS (DELETE FROM rollup_queue WHERE ctid = ANY(ARRAY(SELECT ctid FROM rollup_queue LIMIT %(limit)s))"
        f" RETURNING {RETURNING})" + ctes("src") + " SELECT count(*) FROM src")
_FOLD_ONE = (f"WITH src AS (DELETE FROM rollup_queue WHERE ctid = %s RETURNING {RETURNING})" + ctes("src")
             + " SELECT count(*) FROM src")

_QUEUE_ROWS = (f"INSERT INTO rollup_queue ({RETURNING}) SELECT %(device)s, %(emp)s, u.*"
               " FROM unnest(%(start)b::timestamptz[], %(end)b::timestamptz[], %(status)b::text[],"
               " %(process)b::text[], %(domain)b::text[], %(tz)b::text[])"
               " AS u(started_at, ended_at, status, process_name, domain, tz)")
_FIELDS = [f.name for f in STREAMS["heartbeats"].fields]
_INDEX = {name: _FIELDS.index(name) for name in ("started_at", "ended_at", "status", "process_name", "domain", "tz")}


async def queue_heartbeats(conn: AsyncConn, device_id: int, emp_id: int, rows: list[list[Any]]) -> None:
    """Queue ``rows`` (validated heartbeats that the current transaction stored) for the rollups; the
    record-by-record fallback of a refused batch uses this instead of ``QUEUE``."""
    if not rows:
        return
    params = {key: [row[_INDEX[name]] for row in rows] for key, name in (
        ("start", "started_at"), ("end", "ended_at"), ("status", "status"), ("process", "process_name"),
        ("domain", "domain"), ("tz", "tz"))}
    await conn.execute(_QUEUE_ROWS, {**params, "device": device_id, "emp": emp_id})


READ_ROUNDS = 100  # a read's fold gives up chasing new arrivals after this many statements


async def fold(conn: AsyncConn, *, everything: bool = False) -> int:
    """Fold queued heartbeats into the rollups, ``FOLD_ROWS`` per statement (each well within the
    statement timeout, and committed, however long the backlog); return how many this call folded.

    A worker stops at the first statement that finds fewer rows. A read (``everything``) goes on until
    the queue is empty: a statement waits for a concurrent fold that holds some of its rows and then
    skips them, and a backlog can be longer than one statement, so "fewer" alone would not mean "all in
    the rollups". ``conn`` must be in autocommit mode and on the primary."""
    async def once() -> int:
        row = await (await conn.execute(FOLD, {"limit": FOLD_ROWS})).fetchone()
        return int(row[0]) if row else 0

    total = 0
    for _ in range(READ_ROUNDS if everything else 1 << 62):
        if everything and not await _queued(conn):
            break  # the usual case of a read: one cheap look, no fold statement
        try:
            folded: int = await retrying(once)
        except (pg_errors.DataError, pg_errors.IntegrityError):
            folded = await _fold_one_by_one(conn)
        metrics.ROLLUP_FOLDED.inc(folded)
        total += folded
        if not everything and folded < FOLD_ROWS:
            break
    return total


async def _queued(conn: AsyncConn) -> bool:
    row = await (await conn.execute("SELECT EXISTS (SELECT 1 FROM rollup_queue)")).fetchone()
    return bool(row and row[0])


async def _fold_one_by_one(conn: AsyncConn) -> int:
    """A queue row the rollups refuse must not stop the queue (one bad row would keep every later
    heartbeat out of the reports): fold row by row and drop, log and count the refused ones."""
    ctids = [row[0] for row in await (await conn.execute(
        "SELECT ctid::text FROM rollup_queue LIMIT %s", (FOLD_ROWS,))).fetchall()]
    folded = 0
    for ctid in ctids:
        try:
            row = await (await conn.execute(_FOLD_ONE, (ctid,))).fetchone()
            folded += int(row[0]) if row else 0
        except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
            dropped = await (await conn.execute(f"DELETE FROM rollup_queue WHERE ctid = %s RETURNING {RETURNING}",
                                                (ctid,))).fetchall()
            metrics.ROLLUP_REFUSED.inc(len(dropped))
            log.error("the rollups refused a queued heartbeat (%s: %s); it stays stored but is missing from the"
                      " reports: %r", type(exc).__name__, exc, dropped)
    return folded


async def keep_folding(db: Database, interval: float) -> None:
    """Fold the queue every ``interval`` seconds until cancelled. A database that is down or busy is
    only waited out (the queue is durable and the next fold takes everything); any other error is
    logged and the loop goes on."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with db.connection() as conn:
                await fold(conn)
        except ApiError:
            continue  # unreachable or saturated: the 503 rules of db.py already apply
        except psycopg.Error:
            log.exception("folding the rollup queue failed; retrying in %.1f s", interval)
