"""Application factory: routes, contract error format, headers, lifespan of the database pool."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ingestion import __version__
from ingestion.config import Settings
from ingestion.context import AppState
from ingestion.db import Database
from ingestion.errors import ApiError, error_response
from ingestion.keycache import KeyCache
from ingestion.lag import metrics_text
from ingestion.metrics import render
from ingestion.middleware import ContractMiddleware
from ingestion.ratelimit import RateLimiter
from ingestion.replica import replica_status
from ingestion.reports import api as reports_api
from ingestion.reports import rollups
from ingestion.routes import health, ingest, me, screenshots
from ingestion.schemas import (
    RECORD_MODELS,
    Error,
    Health,
    IngestResult,
    Me,
    Rejection,
    ScreenshotMeta,
    ScreenshotResult,
)
from ingestion.web import admin as web_admin
from ingestion.web import pages as web_pages
from ingestion.worklog import routes as worklog_routes
from ingestion.worklog.schemas import WORKLOG_MODELS

log = logging.getLogger("ingestion")
_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                 415: "unsupported_media_type", 429: "rate_limited", 400: "malformed_json"}


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Framework 404/405 (and any other HTTPException) in the contract's format."""
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, "not_found" if exc.status_code < 500 else "unavailable")
    response = error_response(ApiError(exc.status_code, code))
    if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(422, "invalid_envelope", "request does not match the API"))


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the record and meta schemas under the names of INGESTION_API.md §5.5."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title="WFH Agent Ingestion API", version=__version__, routes=app.routes,
                         description="Contract v1: INGESTION_API.md")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    models: list[type[BaseModel]] = [*RECORD_MODELS.values(), ScreenshotMeta, IngestResult, Rejection,
                                     Error, Health, Me, ScreenshotResult, *WORKLOG_MODELS]
    for model in models:
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in generated.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components[model.__name__] = generated
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` default to the environment (uvicorn calls this with none)."""
    settings = settings or Settings.from_env()
    logging.getLogger("ingestion").setLevel(settings.log_level.upper())
    db = Database(settings)
    # Reports and dashboard reads (issue 16): a second, read-only pool on the replica.
    read_db = (Database(settings, settings.read_database_url, read_only=True, name="wfh-ingest-read")
               if settings.read_database_url else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await db.open()
        # Everything built so far (routes, models, SQL) lives as long as the process: keep it out of
        # the cyclic collector's full passes, which otherwise walk it again for every few batches.
        gc.collect()
        gc.freeze()
        if read_db is not None:
            await read_db.open()
        compacting = (asyncio.create_task(rollups.keep_compacting(db, settings.rollup_seconds),
                                          name="rollup-compaction") if settings.rollup_seconds > 0 else None)
        try:
            yield
        finally:
            if compacting is not None:
                compacting.cancel()
                await asyncio.gather(compacting, return_exceptions=True)
            await db.close()
            if read_db is not None:
                await read_db.close()

    app = FastAPI(title="WFH Agent Ingestion API", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", lifespan=lifespan, redirect_slashes=False)
    app.state.wfh = AppState(settings, db, RateLimiter(settings.rate_per_minute, settings.rate_burst),
                             RateLimiter(settings.screenshot_bytes_per_second * 60.0, settings.screenshot_burst_bytes),
                             keys=KeyCache(settings.key_cache_seconds), read_db=read_db)
    for router in (health.router, me.router, ingest.router, screenshots.router):
        app.include_router(router)
    app.include_router(worklog_routes.router)  # weeks and tasks backup (issue 18)
    app.include_router(reports_api.router)  # people-facing read side (issue 17)
    web_pages.mount(app)
    app.include_router(web_admin.router)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = render()
        return Response(body + metrics_text(await replica_status(app.state.wfh)), media_type=content_type)

    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(ContractMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
