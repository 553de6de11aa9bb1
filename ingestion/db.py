"""PostgreSQL access for the server: one async pool per worker plus the outage rules of §8.3.

After a failed connection the server answers 503 (Retry-After 30) for 5 s without touching the
database; a statement timeout or an exhausted pool is 503 with Retry-After 5. The pool reconnects in
the background, so the same process recovers when PostgreSQL is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from ingestion.config import Settings
from ingestion.errors import ApiError, unavailable

log = logging.getLogger("ingestion.db")

DOWN_SECONDS = 5.0
RETRY_DOWN = 30
RETRY_BUSY = 5

AsyncConn = psycopg.AsyncConnection[Any]


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._down_until = 0.0
        # After a failure (and at start) the next request first tries one direct connection, so an
        # outage is detected in milliseconds instead of after the 5 s pool wait.
        self._suspect = True
        # Schema name is validated as a plain identifier in Settings; the timeout bounds every statement
        # (contract: 10 s, then 503 with Retry-After 5).
        self._session_setup = (f"SET search_path TO {settings.db_schema};"
                               f" SET statement_timeout = {int(settings.statement_timeout_ms)}")
        self.pool = AsyncConnectionPool(
            settings.database_url,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            timeout=settings.pool_wait_seconds,
            kwargs={"autocommit": True, "connect_timeout": 2},
            configure=self._configure,
            reconnect_timeout=24 * 3600,  # keep trying; an outage must not kill the pool for good
            open=False,
            name="wfh-ingest",
        )

    async def _configure(self, conn: AsyncConn) -> None:
        await conn.execute(self._session_setup)

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close(timeout=2)

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self) -> None:
        self._down_until = time.monotonic() + DOWN_SECONDS
        self._suspect = True

    async def _probe(self) -> bool:
        """One direct connection attempt, used only while the pool holds no connection."""
        try:
            conn = await psycopg.AsyncConnection.connect(self.settings.database_url, connect_timeout=2)
        except psycopg.Error:
            return False
        await conn.close()
        return True

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConn]:
        """A pooled connection; any database failure inside the block becomes a 503 ApiError."""
        if time.monotonic() < self._down_until:
            raise unavailable(RETRY_DOWN)
        if self._suspect:
            if not await self._probe():
                self.mark_down()
                log.warning("database unreachable; answering 503 for %.0f s", DOWN_SECONDS)
                raise unavailable(RETRY_DOWN)
            self._suspect = False
            await self.pool.check()  # drop pooled connections that broke during the outage
        try:
            async with self.pool.connection() as conn:
                yield conn
        except ApiError:
            raise
        except PoolTimeout:
            if await self._probe():
                raise unavailable(RETRY_BUSY, "database busy") from None
            self.mark_down()
            raise unavailable(RETRY_DOWN) from None
        except pg_errors.QueryCanceled:
            raise unavailable(RETRY_BUSY, "statement timeout") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            log.warning("database error: %s", type(exc).__name__)
            self.mark_down()
            raise unavailable(RETRY_DOWN) from None
