"""The reports' rollup of heartbeats (migration 0009), appended by the ingest statement itself.

Range reports read seconds per 15-minute slot instead of raw heartbeats. A heartbeat batch's one
statement adds, from the rows its insert returns (only rows it wrote, never a resent or concurrently
duplicated one), one ``activity_quarters`` row per slot, status, application and site of the batch,
with a plain INSERT: no key, no upsert, so concurrent batches never wait for each other there and
the rollup is exact the moment the batch commits. The same statement moves the device's latest
heartbeat into ``device_state`` and notes the batch's span in ``rollup_spans``.

Upserting the four rollups of migrations 0004/0005 in the batch (or folding them in from a queue
later, migration 0008) cost ×1.2–1.25 of the CPU of an ingest without rollups; appending costs
×1.09–1.10 (docs/BENCHMARKS.md). The price is that one key may hold several rows (many small real-time
batches each add a row for the current slot), so every read sums, and :func:`compact` merges a
key's rows into one in the background (:func:`keep_compacting`). Compaction never changes a sum:
it deletes rows and inserts their total in one statement, so a read sees either the rows or their
sum, and a row is merged by the one compaction that deleted it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg

from ingestion import metrics
from ingestion.db import AsyncConn, Database, retrying
from ingestion.errors import ApiError
from ingestion.validation import STREAMS

log = logging.getLogger("ingestion.rollups")

# What the heartbeat insert returns for the rollup (the columns the CTEs below read from ``source``).
RETURNING = "device_id, emp_id, started_at, ended_at, status, process_name, domain, tz"

_CTES = """
pieces AS (
    -- A heartbeat inside one slot (nearly all of them) is one piece without a generate_series call.
    SELECT n.device_id, n.emp_id, n.status, n.process_name, n.domain,
           date_bin('15 minutes', n.started_at, 'epoch') AS bucket,
           extract(epoch FROM n.ended_at - n.started_at)::float8 AS seconds
    FROM {source} n
    WHERE n.ended_at > n.started_at
      AND n.ended_at <= date_bin('15 minutes', n.started_at, 'epoch') + interval '15 minutes'
    UNION ALL
    SELECT n.device_id, n.emp_id, n.status, n.process_name, n.domain, q AS bucket,
           extract(epoch FROM least(n.ended_at, q + interval '15 minutes') - greatest(n.started_at, q))::float8
    FROM {source} n,
         generate_series(date_bin('15 minutes', n.started_at, 'epoch'), n.ended_at, interval '15 minutes') q
    WHERE n.ended_at > date_bin('15 minutes', n.started_at, 'epoch') + interval '15 minutes'
      AND least(n.ended_at, q + interval '15 minutes') > greatest(n.started_at, q)
), quarters AS (
    INSERT INTO activity_quarters (emp_id, bucket, device_id, status, process_name, domain, seconds)
    SELECT emp_id, bucket, device_id, status, process_name, domain, sum(seconds) FROM pieces
    GROUP BY emp_id, bucket, device_id, status, process_name, domain
), latest AS (
    -- Every source holds one device's rows: its latest heartbeat is a top-1, not a sort of all rows.
    INSERT INTO device_state AS s (device_id, emp_id, last_seen_at, tz)
    (SELECT n.device_id, n.emp_id, n.ended_at, n.tz FROM {source} n ORDER BY n.ended_at DESC LIMIT 1)
    ON CONFLICT (device_id) DO UPDATE SET emp_id = EXCLUDED.emp_id, last_seen_at = EXCLUDED.last_seen_at,
        tz = EXCLUDED.tz WHERE s.last_seen_at <= EXCLUDED.last_seen_at
)"""


# The batch's span for compaction, from the ingest statement's count of its rows (``n``: one pass over
# the insert's rows for the count and the span).
SPAN_COLUMNS = ", min(emp_id) AS emp_id, min(started_at) AS lo, max(ended_at) AS hi"
SPAN = ", spans AS (INSERT INTO rollup_spans (emp_id, lo, hi) SELECT emp_id, lo, hi FROM n WHERE accepted > 0)"


def ctes(source: str) -> str:
    """The rollup CTEs (``, pieces AS (...), ...``) over ``source``, a CTE with ``RETURNING``'s columns
    holding one device's heartbeats; to be placed after ``source`` in a ``WITH`` list. The batch's span
    (``SPAN``) comes separately."""
    return ", " + _CTES.strip().format(source=source)


# The same rollup as a function in the schema (migration 0010), for rows stored outside the batch
# statement: the record-by-record fallback here and the desktop agent's legacy direct-PostgreSQL mode.
# A change to the CTEs above needs a migration that replaces the function the same way
# (tests/team/test_rollups.py compares them).
ROLL_UP = ("SELECT roll_up_heartbeats(%(device)s::bigint, %(emp)s::integer, %(start)b::timestamptz[],"
           " %(end)b::timestamptz[],"
           " %(status)b::text[], %(process)b::text[], %(domain)b::text[], %(tz)b::text[])")
_FIELDS = [f.name for f in STREAMS["heartbeats"].fields]
_INDEX = {name: _FIELDS.index(name) for name in ("started_at", "ended_at", "status", "process_name", "domain", "tz")}


async def add_rows(conn: AsyncConn, device_id: int, emp_id: int, rows: list[list[Any]]) -> None:
    """Roll up ``rows`` (validated heartbeats that the current transaction stored); the
    record-by-record fallback of a refused batch uses this instead of the batch statement's CTEs."""
    if not rows:
        return
    params = {key: [row[_INDEX[name]] for row in rows] for key, name in (
        ("start", "started_at"), ("end", "ended_at"), ("status", "status"), ("process", "process_name"),
        ("domain", "domain"), ("tz", "tz"))}
    await conn.execute(ROLL_UP, {**params, "device": device_id, "emp": emp_id})


SPANS_PER_COMPACTION = 2_000  # batch spans per compaction statement: bounds its transaction
_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('wfh_ingest.rollup_compaction'))"
COMPACT = """
WITH spans AS (
    DELETE FROM rollup_spans WHERE ctid = ANY(ARRAY(SELECT ctid FROM rollup_spans LIMIT %(limit)s))
    RETURNING emp_id, lo, hi
), ranges AS (
    -- The slots the spans touched, as disjoint ranges per employee, so no row is counted twice.
    SELECT emp_id, lower(r) AS lo, upper(r) AS hi
    FROM (SELECT emp_id, unnest(range_agg(tstzrange(date_bin('15 minutes', lo, 'epoch'), hi))) AS r
          FROM spans GROUP BY emp_id) m
), keys AS (
    SELECT q.emp_id, q.bucket, q.device_id, q.status, q.process_name, q.domain
    FROM ranges r JOIN activity_quarters q ON q.emp_id = r.emp_id AND q.bucket >= r.lo AND q.bucket < r.hi
    GROUP BY 1, 2, 3, 4, 5, 6 HAVING count(*) > 1
), gone AS (
    DELETE FROM activity_quarters q USING keys k
    WHERE q.emp_id = k.emp_id AND q.bucket = k.bucket AND q.device_id = k.device_id AND q.status = k.status
      AND q.process_name = k.process_name AND q.domain IS NOT DISTINCT FROM k.domain
    RETURNING q.*
), merged AS (
    INSERT INTO activity_quarters (emp_id, bucket, device_id, status, process_name, domain, seconds)
    SELECT emp_id, bucket, device_id, status, process_name, domain, sum(seconds) FROM gone
    GROUP BY emp_id, bucket, device_id, status, process_name, domain
    RETURNING 1
)
SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM gone), (SELECT count(*) FROM merged)
"""


async def compact(conn: AsyncConn) -> int:
    """Merge the rows of every key that the batches noted in ``rollup_spans`` added more than one
    row to, ``SPANS_PER_COMPACTION`` spans per transaction until none is left; return how many rows
    were removed. One compaction runs at a time (a transaction-scoped advisory lock, which works
    through PgBouncer's transaction pooling); another caller returns at once. ``conn`` must be in
    autocommit mode and on the primary."""
    async def once() -> tuple[int, int]:
        async with conn.transaction():
            locked = await (await conn.execute(_LOCK)).fetchone()
            if not (locked and locked[0]):
                return 0, 0
            row = await (await conn.execute(COMPACT, {"limit": SPANS_PER_COMPACTION})).fetchone()
        spans, gone, merged = row if row else (0, 0, 0)
        return int(spans), int(gone) - int(merged)

    removed = 0
    while True:
        spans, fewer = await retrying(once)
        metrics.ROLLUP_COMPACTED.inc(fewer)
        removed += fewer
        if spans < SPANS_PER_COMPACTION:
            return removed


async def keep_compacting(db: Database, interval: float) -> None:
    """Compact every ``interval`` seconds until cancelled. A database that is down or busy is only
    waited out (the spans are durable and the next round takes them all); any other error is logged
    and the loop goes on. Reads never wait for this: they are exact without it."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with db.connection() as conn:
                await compact(conn)
        except ApiError:
            continue  # unreachable or saturated: the 503 rules of db.py already apply
        except psycopg.Error:
            log.exception("compacting the reports' rollup failed; retrying in %.1f s", interval)
