"""Per-application state shared by the routes, and the auth + rate-limit step every
``/api/v1`` route starts with: declare a parameter ``identity: Authorized`` and FastAPI runs
``authorize`` before the handler, so no route can forget it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from ingestion.auth import Identity, authenticate
from ingestion.config import Settings
from ingestion.db import Database
from ingestion.errors import ApiError
from ingestion.ratelimit import RateLimiter


@dataclass
class HealthCache:
    """The last database health probe and when it ran (``/health`` reuses it for ``CACHE_SECONDS``)."""

    healthy: bool = False
    checked_at: float = float("-inf")


@dataclass
class AppState:
    """What every route of one app shares: settings, the database pool, the rate limiter."""

    settings: Settings
    db: Database
    limiter: RateLimiter
    health: HealthCache = field(default_factory=HealthCache)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.wfh
    return state


async def authorize(request: Request) -> Identity:
    """Steps 2-3 of §5.3: a valid key (503 when the database is down), then one token."""
    state = app_state(request)
    async with state.db.connection() as conn:
        identity = await authenticate(request, conn)
    wait = state.limiter.take(identity.key_id)
    if wait:
        raise ApiError(429, "rate_limited", retry_after=wait)
    return identity


Authorized = Annotated[Identity, Depends(authorize)]
