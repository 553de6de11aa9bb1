"""Per-application state shared by the routes, and the auth + rate-limit step every
``/api/v1`` route starts with: declare a parameter ``identity: Authorized`` and FastAPI runs
``authorize`` before the handler, so no route can forget it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from ingestion.auth import Identity, verify
from ingestion.config import Settings
from ingestion.db import Database
from ingestion.errors import ApiError
from ingestion.keycache import KeyCache
from ingestion.lag import ReplicaCache
from ingestion.ratelimit import RateLimiter


@dataclass
class HealthCache:
    """The last database health probe and when it ran (``/health`` reuses it for ``CACHE_SECONDS``)."""

    healthy: bool = False
    checked_at: float = float("-inf")


@dataclass
class AppState:
    """What every route of one app shares: settings, the database pool, the rate limiters, the key cache,
    and the read replica's pool (``read_db``, None without ``WFH_INGEST_READ_DATABASE_URL``) with its
    last lag check."""

    settings: Settings
    db: Database
    limiter: RateLimiter
    screenshot_limiter: RateLimiter
    health: HealthCache = field(default_factory=HealthCache)
    keys: KeyCache[Identity] = field(default_factory=lambda: KeyCache(0.0))  # api.py sizes it from settings
    read_db: Database | None = None
    replica: ReplicaCache = field(default_factory=ReplicaCache)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.wfh
    return state


SCREENSHOT_MIN_COST = 65_536  # bytes charged for any screenshot request, however small


async def _authorize(request: Request, screenshot: bool) -> Identity:
    """Steps 2-3 of §5.3: a valid key (503 when the database is down), then one request token, or for
    a screenshot (v1.1) its declared size in bytes from the screenshot budget."""
    state = app_state(request)
    identity = await verify(request, state.db, state.keys)
    if screenshot:
        wait = state.screenshot_limiter.take(identity.key_id, screenshot_cost(request, state.settings))
    else:
        wait = state.limiter.take(identity.key_id)
    if wait:
        raise ApiError(429, "rate_limited", retry_after=wait)
    return identity


async def authorize(request: Request) -> Identity:
    """The key check of every record route: the key, then one request token."""
    return await _authorize(request, screenshot=False)


async def authorize_screenshot(request: Request) -> Identity:
    """The key check of the screenshot route: the key, then the upload's bytes from the screenshot budget."""
    return await _authorize(request, screenshot=True)


def screenshot_cost(request: Request, settings: Settings) -> int:
    """The request's declared size, at least 64 KiB, at most the request limit (no or a bad
    Content-Length: the limit; the body check answers a bad header)."""
    try:
        declared = int(request.headers.get("content-length", ""))
    except ValueError:
        declared = settings.max_screenshot_request_bytes
    return max(SCREENSHOT_MIN_COST, min(declared, settings.max_screenshot_request_bytes))


Authorized = Annotated[Identity, Depends(authorize)]
ScreenshotAuthorized = Annotated[Identity, Depends(authorize_screenshot)]
