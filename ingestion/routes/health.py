"""``GET /health``: liveness plus a cached database check (INGESTION_API.md §5.1)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ingestion import SERVICE_NAME, __version__
from ingestion.context import app_state
from ingestion.errors import ApiError, json_response
from ingestion.schemas import Health

router = APIRouter()
CACHE_SECONDS = 5.0
CHECK_TIMEOUT = 2.0


async def _database_ok(request: Request) -> bool:
    state = app_state(request)
    cache = state.health
    if state.db.is_down:  # a failure seen by any request beats a cached success
        return False
    if time.monotonic() - cache.checked_at < CACHE_SECONDS:
        return cache.healthy
    try:
        async with state.db.connection() as conn:
            await asyncio.wait_for(conn.execute("SELECT 1"), CHECK_TIMEOUT)
        healthy = True
    except (ApiError, TimeoutError):
        healthy = False
    cache.healthy, cache.checked_at = healthy, time.monotonic()
    return healthy


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request) -> Response:
    ok = await _database_ok(request)
    body = {
        "status": "healthy" if ok else "unhealthy",
        "service": SERVICE_NAME,
        "database": "connected" if ok else "unavailable",
        "version": __version__,
    }
    return json_response(200, body) if ok else json_response(503, body, {"Retry-After": "30"})
