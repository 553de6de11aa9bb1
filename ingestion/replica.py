"""Reads from a streaming replica (``WFH_INGEST_READ_DATABASE_URL``) and the replica's lag.

The reports API and the dashboard pages take their connection from :func:`reading`: the read pool
when one is configured and reachable, else the primary (the rollup is written by the ingest statement
itself, ``reports/rollups.py``, so the primary's reports include every heartbeat stored before the
request and a replica's trail by its lag alone). Falling back keeps the reports available
while the replica is down (the primary can carry the reads for a while; ``/metrics`` shows
``wfh_ingest_read_replica_up 0`` and the admin page says so); a replica that fails in the middle of
a request answers that request 503 with ``Retry-After`` and the next one goes to the primary.
Writes never go there: the read pool runs every transaction read-only (``db.session_setup``), and
logins, session touches and ingest always use the primary pool.

Lag is measured against the primary's current WAL position, so no monitoring privilege is needed:
bytes = primary ``pg_current_wal_lsn()`` − replica ``pg_last_wal_replay_lsn()``; seconds = 0 when
nothing is pending, else the age of the last replayed transaction (``pg_last_xact_replay_timestamp``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from ingestion.context import AppState
from ingestion.db import AsyncConn
from ingestion.errors import ApiError
from ingestion.lag import ReplicaStatus, lsn_bytes

STATUS_SECONDS = 2.0  # a scrape or page load reuses the last measurement for this long
CHECK_TIMEOUT = 2.0

_ON_REPLICA = """
SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
"""


@asynccontextmanager
async def reading(state: AppState) -> AsyncIterator[AsyncConn]:
    """A connection for reports and dashboard reads: the replica's when configured and reachable,
    otherwise the primary's (see the module docstring for why this falls back instead of failing)."""
    async with AsyncExitStack() as stack:
        conn: AsyncConn | None = None
        replica = state.read_db
        if replica is not None and not replica.is_down:
            try:
                conn = await stack.enter_async_context(replica.connection())
            except ApiError:
                conn = None  # unreachable or saturated: this read goes to the primary
        if conn is None:
            conn = await stack.enter_async_context(primary_reading(state))
        yield conn


@asynccontextmanager
async def primary_reading(state: AppState) -> AsyncIterator[AsyncConn]:
    """A primary connection, for reads that must see what this server has just written (the weeks
    and tasks a desktop app backed up a moment ago, next to their monitored time)."""
    async with state.db.connection() as conn:
        yield conn


async def _measure(state: AppState) -> ReplicaStatus:
    assert state.read_db is not None
    try:
        async with state.read_db.connection() as conn:
            cur = await asyncio.wait_for(conn.execute(_ON_REPLICA), CHECK_TIMEOUT)
            in_recovery, replayed, replay_age = await cur.fetchone() or (None, None, None)
    except (ApiError, TimeoutError) as exc:
        return ReplicaStatus(up=False, error=exc.detail if isinstance(exc, ApiError) and exc.detail
                             else "replica unreachable")
    if not in_recovery or replayed is None:
        return ReplicaStatus(up=True, in_recovery=bool(in_recovery), lag_bytes=0, lag_seconds=0.0)
    try:
        async with state.db.connection() as conn:
            cur = await asyncio.wait_for(conn.execute("SELECT pg_current_wal_lsn()::text"), CHECK_TIMEOUT)
            row = await cur.fetchone()
    except (ApiError, TimeoutError):
        return ReplicaStatus(up=True, in_recovery=True, error="primary unreachable: lag unknown")
    pending = max(0, lsn_bytes(row[0]) - lsn_bytes(replayed)) if row else 0
    seconds = 0.0 if pending == 0 else max(0.0, float(replay_age or 0.0))
    return ReplicaStatus(up=True, in_recovery=True, lag_bytes=pending, lag_seconds=seconds)


async def replica_status(state: AppState) -> ReplicaStatus | None:
    """The replica's state (cached for ``STATUS_SECONDS``), or None without a read replica."""
    if state.read_db is None:
        return None
    cache = state.replica
    if cache.status is None or time.monotonic() - cache.checked_at >= STATUS_SECONDS:
        cache.status, cache.checked_at = await _measure(state), time.monotonic()
    return cache.status
