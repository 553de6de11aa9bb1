"""Worklog routes (INGESTION_API.md §5.6-§5.7): ``POST /api/v1/ingest/weeks|tasks`` and
``GET /api/v1/me/weeks|tasks``. Both are key-authenticated and rate limited (``Authorized``); the employee
and device always come from the key."""

from __future__ import annotations

import re
import time

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from ingestion.auth import Identity
from ingestion.context import Authorized, app_state
from ingestion.errors import ApiError, dumps, json_response
from ingestion.metrics import count_batch, count_unstorable
from ingestion.routes.ingest import batch_endpoint, log_entry, receive_batch, records_body
from ingestion.schemas import IngestResult, error_responses
from ingestion.validation import Clock, Stream, rejected_client_id
from ingestion.worklog import cursor
from ingestion.worklog.download import check_issued, read_page
from ingestion.worklog.schemas import WORKLOG_RECORD_MODELS, TasksPage, WeeksPage
from ingestion.worklog.store import Writer, store_worklog
from ingestion.worklog.validation import WORKLOG_STREAMS, validate_worklog

router = APIRouter()
DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
_LIMIT_RE = re.compile(r"[0-9]{1,9}")


async def _ingest(request: Request, identity: Identity, stream: Stream) -> Response:
    started = time.perf_counter()
    clock = Clock.at()
    received = await receive_batch(request, identity, stream.name, started)
    records = received.records
    checked = validate_worklog(stream, records, clock, identity.device_id)
    rejected = len(checked.rejected)
    entry = log_entry(request, identity, stream.name, 200, len(records), rejected, received.body_bytes, started)
    writer = Writer(identity.emp_id, identity.device_id, identity.key_id)
    async with app_state(request).db.connection() as conn:
        stored = await store_worklog(conn, stream.name, writer, checked, entry)
    rejections = checked.rejected
    if stored.refused:
        count_unstorable(stream.name, len(stored.refused))
        rejections = sorted(rejections + [{"index": i, "client_id": rejected_client_id(records[i]), "error": reason}
                                          for i, reason in stored.refused], key=lambda r: int(r["index"]))
    accepted = stored.accepted
    rejected = len(rejections)
    duplicates = len(records) - accepted - rejected
    request.scope["state"].update(records=len(records), accepted=accepted, duplicates=duplicates, rejected=rejected)
    count_batch(stream.name, accepted, duplicates, rejected, time.perf_counter() - started)
    return json_response(200, {"accepted": accepted, "duplicates": duplicates, "rejected": rejections})


def parse_limit(value: str | None) -> int:
    """``limit``: absent → 1,000; else a decimal integer 1-5,000 (400 ``invalid_query``)."""
    if value is None:
        return DEFAULT_LIMIT
    if _LIMIT_RE.fullmatch(value) is None or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(400, "invalid_query", f"limit must be an integer between 1 and {MAX_LIMIT}")
    return int(value)


async def _download(request: Request, identity: Identity, route: str, since: str | None,
                    limit_text: str | None) -> Response:
    limit = parse_limit(limit_text)
    after = cursor.decode(route, since) if since is not None else 0
    async with app_state(request).db.connection() as conn:
        if since is not None:
            await check_issued(conn, after)
        page = await read_page(conn, route, identity.emp_id, after, limit)
    if page.last_position is not None:
        next_since: str | None = cursor.encode(route, page.last_position)
    else:
        next_since = cursor.encode(route, after) if since is not None else None
    request.scope["state"].update(records=len(page.records))
    # The records are JSON text already (PostgreSQL built them): joined, not parsed and dumped again.
    body = b'{"records":[' + ",".join(page.records).encode() + b'],"next_since":' + dumps(next_since) + b"}"
    return Response(body, status_code=200, media_type="application/json")


_SINCE = Query(default=None, description="cursor from an earlier answer's next_since; absent = from the start")
_LIMIT = Query(default=None, description="records per answer, 1-5000 (default 1000)")


@router.get("/api/v1/me/weeks", response_model=WeeksPage, responses=error_responses(400, 401, 429, 503),
            summary="The key's employee's weeks after a cursor")
async def me_weeks(request: Request, identity: Authorized, since: str | None = _SINCE,
                   limit: str | None = _LIMIT) -> Response:
    return await _download(request, identity, "weeks", since, limit)


@router.get("/api/v1/me/tasks", response_model=TasksPage, responses=error_responses(400, 401, 429, 503),
            summary="The key's employee's tasks after a cursor")
async def me_tasks(request: Request, identity: Authorized, since: str | None = _SINCE,
                   limit: str | None = _LIMIT) -> Response:
    return await _download(request, identity, "tasks", since, limit)


for _name, _stream in WORKLOG_STREAMS.items():
    router.add_api_route(
        f"/api/v1/ingest/{_name}", batch_endpoint(_stream, _ingest), methods=["POST"], response_model=IngestResult,
        responses=error_responses(400, 401, 403, 413, 415, 422, 429, 503),
        openapi_extra=records_body(WORKLOG_RECORD_MODELS[_name].__name__),
        summary=f"Ingest a batch of {_name} records (worklog)",
    )
