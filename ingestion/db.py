"""PostgreSQL access for the server: one async pool per worker plus the outage rules of §8.3.

After a failed connection the server answers 503 (Retry-After 30) for 5 s without touching the
database; a statement timeout or an exhausted pool is 503 with Retry-After 5. Only errors that mean
"unreachable" count as an outage; a deadlock or a lock timeout fails its own request.

psycopg_pool retries failed connections with exponential backoff (1, 2, 4, 8 ... s), so after a long
outage a small pool could stay empty for half a minute after PostgreSQL is back. When a direct probe
succeeds again after an outage, the server therefore replaces the pool with a fresh one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from ingestion.config import Settings
from ingestion.errors import ApiError, unavailable

log = logging.getLogger("ingestion.db")

DOWN_SECONDS = 5.0
PROBE_REUSE_SECONDS = 1.0
RETRY_DOWN = 30
RETRY_BUSY = 5
RETRIES = 4  # attempts of a statement that meets a deadlock or a serialization failure

AsyncConn = psycopg.AsyncConnection[Any]


class Database:
    """The connection pool of one worker, with outage detection: a failed probe marks the database
    down for a short while (503 + Retry-After) and a fresh pool replaces the old one after recovery."""

    def __init__(self, settings: Settings, url: str | None = None, *, read_only: bool = False,
                 name: str = "wfh-ingest") -> None:
        self.settings = settings
        self.url = url or settings.database_url
        self.read_only = read_only
        self.name = name
        self._down_until = 0.0
        # After a failure (and at start) the next request first tries one direct connection, so an
        # outage is detected in milliseconds instead of after the 5 s pool wait.
        self._suspect = True
        # One probe at a time, its result shared for a second: after an outage hundreds of waiting
        # requests must not open hundreds of connections at once.
        self._probe_lock = asyncio.Lock()
        self._probed_at = float("-inf")
        self._probe_ok = False
        self._session_setup = session_setup(settings, read_only)
        self._outage = False  # an outage was seen: the pool is renewed when the database answers again
        self._retired: set[asyncio.Task[None]] = set()
        self.pool = self._new_pool()

    def _new_pool(self) -> AsyncConnectionPool[AsyncConn]:
        settings = self.settings
        return AsyncConnectionPool(
            self.url,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            timeout=settings.pool_wait_seconds,
            kwargs={"autocommit": True, "connect_timeout": 2, "prepare_threshold": settings.prepare_threshold},
            configure=self._configure if self._session_setup else None,
            reconnect_timeout=24 * 3600,  # keep trying; an outage must not kill the pool for good
            open=False,
            name=self.name,
        )

    async def _configure(self, conn: AsyncConn) -> None:
        await conn.execute(self._session_setup)

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close(timeout=2)
        for task in list(self._retired):
            await task

    async def _renew_pool(self) -> None:
        """A fresh pool now (no backoff left over from the outage); the old one closes behind it."""
        old, self.pool = self.pool, self._new_pool()
        await self.pool.open(wait=False)
        task = asyncio.create_task(old.close(timeout=5))
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)
        log.info("database reachable again; connection pool renewed")

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self) -> None:
        self._down_until = time.monotonic() + DOWN_SECONDS
        self._suspect = True
        self._outage = True

    async def _reachable(self) -> bool:
        """Whether a direct connection succeeds now (serialised, result reused for 1 s)."""
        async with self._probe_lock:
            if time.monotonic() - self._probed_at < PROBE_REUSE_SECONDS:
                return self._probe_ok
            try:
                conn = await psycopg.AsyncConnection.connect(self.url, connect_timeout=2)
                await conn.close()
                self._probe_ok = True
            except psycopg.Error:
                self._probe_ok = False
            self._probed_at = time.monotonic()
            return self._probe_ok

    def _down(self) -> ApiError:
        if not self.is_down:
            log.warning("database unreachable; answering 503 for %.0f s", DOWN_SECONDS)
        self.mark_down()
        return unavailable(RETRY_DOWN)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConn]:
        """A pooled connection; any database failure inside the block becomes a 503 ApiError."""
        if self.is_down:
            raise unavailable(RETRY_DOWN)
        if self._suspect:
            if not await self._reachable():
                raise self._down()
            if self._suspect:  # the first request through repairs the pool; the others just go on
                self._suspect = False
                if self._outage:
                    self._outage = False
                    await self._renew_pool()
                else:
                    await self.pool.check()  # drop pooled connections that broke meanwhile
        pool = self.pool
        try:
            async with pool.connection() as conn:
                yield conn
        except ApiError:
            raise
        except (PoolTimeout, PoolClosed):
            if not await self._reachable():
                raise self._down() from None
            if pool is self.pool and pool.get_stats().get("pool_size", 0) < self.settings.pool_max:
                # Not full yet PostgreSQL answers: the pool is waiting out its reconnect backoff.
                await self._renew_pool()
            raise unavailable(RETRY_BUSY, "database busy") from None
        except pg_errors.QueryCanceled:
            raise unavailable(RETRY_BUSY, "statement timeout") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            log.warning("database error: %s", type(exc).__name__)
            if unreachable(exc):
                raise self._down() from None
            # A deadlock that outlived its retries, lock or resource limits: this request only.
            raise unavailable(RETRY_BUSY, "database busy") from None


def session_setup(settings: Settings, read_only: bool) -> str:
    """What each new pooled connection runs first: ``search_path`` (the schema is validated as a plain
    identifier in Settings), the contract's statement timeout (10 s, then 503 with Retry-After 5) and,
    on the read pool, read-only transactions. Behind a transaction pooler (PgBouncer
    ``pool_mode=transaction``) nothing: a ``SET`` would stay on whichever server connection ran it, so
    the role carries these settings instead (``ALTER ROLE ... SET``, checked by ``serve`` at start)."""
    if settings.db_pool_mode == "transaction":
        return ""
    setup = f"SET search_path TO {settings.db_schema}; SET statement_timeout = {int(settings.statement_timeout_ms)}"
    return setup + ("; SET default_transaction_read_only = on" if read_only else "")


# SQLSTATEs that mean the server is gone or refusing connections, not that one statement failed.
_GONE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def unreachable(exc: psycopg.Error) -> bool:
    """Whether ``exc`` means the database cannot be reached (class 08, shutdown, no sqlstate at all:
    a broken socket), as opposed to a failure of this statement such as ``DeadlockDetected``."""
    if isinstance(exc, psycopg.InterfaceError):
        return True
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in _GONE_STATES


async def retrying(operation: Any) -> Any:
    """Run ``operation()`` again after a deadlock or serialization failure (short jittered waits)."""
    for attempt in range(RETRIES):
        try:
            return await operation()
        except pg_errors.TransactionRollback as exc:
            if attempt == RETRIES - 1:
                raise
            log.info("retrying after %s (attempt %d)", type(exc).__name__, attempt + 1)
            await asyncio.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")
