"""``POST /api/v1/ingest/{stream}``, one route per stream (INGESTION_API.md §5.3, checks in table order)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ingestion.auth import Identity, check_emp_ids
from ingestion.body import check_json_content_type, content_encoding, gunzip_limited, parse_json, read_limited
from ingestion.context import AppState, Authorized, app_state
from ingestion.errors import ApiError, header_text, json_response
from ingestion.ingest import LogEntry, log_request, store_batch
from ingestion.metrics import count_batch, count_unstorable
from ingestion.schemas import RECORD_MODELS, IngestResult, error_responses
from ingestion.validation import STREAMS, Checked, Clock, Stream, rejected_client_id, validate_batch

log = logging.getLogger("ingestion.ingest")
router = APIRouter()


def log_entry(request: Request, identity: Identity, endpoint: str, status: int, count: int, rejected: int,
              body_bytes: int, started: float) -> LogEntry:
    """The ``ingest_log`` row of one answered batch."""
    return LogEntry(identity.key_id, endpoint, status, count, rejected, body_bytes,
                    int((time.perf_counter() - started) * 1000),
                    request.scope["state"]["request_id"], header_text(request.headers.get("user-agent")))


async def log_client_error(state: AppState, entry: LogEntry, device_id: int) -> None:
    """4xx after authentication: an ``ingest_log`` row in its own statement, best effort."""
    try:
        async with state.db.connection() as conn:
            await log_request(conn, device_id, entry)
    except (ApiError, psycopg.Error) as exc:
        log.warning("could not write ingest_log for a %s answer: %s", entry.http_status, type(exc).__name__)


def _records(document: Any, max_records: int) -> list[Any]:
    """Steps 9-10: the envelope is exactly {"records": [...]}, with at most ``max_records``."""
    if type(document) is not dict or list(document) != ["records"] or type(document["records"]) is not list:
        raise ApiError(422, "invalid_envelope", 'body must be an object whose only key is "records", a list')
    records: list[Any] = document["records"]
    if len(records) > max_records:
        raise ApiError(413, "too_many_records", f"at most {max_records} records per request")
    return records


@dataclass(frozen=True)
class Received:
    """A batch that passed steps 4-11 of §5.3: its records and the size of the body as received."""

    records: list[Any]
    body_bytes: int


async def receive_batch(request: Request, identity: Identity, endpoint: str, started: float) -> Received:
    """Steps 4-11 of §5.3, shared by every record stream: media type, size, gzip, JSON, envelope, count,
    ``emp_id``. A 4xx is written to ``ingest_log`` (best effort) before it is raised."""
    state = app_state(request)
    settings = state.settings
    body_bytes = 0
    count = 0
    try:
        check_json_content_type(request)
        raw = await read_limited(request, settings.max_body_bytes)
        body_bytes = len(raw)
        if content_encoding(request) == "gzip":
            raw = gunzip_limited(raw, settings.max_decoded_bytes)
        records = _records(parse_json(raw), settings.max_records)
        count = len(records)
        check_emp_ids(records, identity.emp_id)
    except ApiError as exc:
        if 400 <= exc.status < 500:
            await log_client_error(state, log_entry(request, identity, endpoint, exc.status, count, 0,
                                                    body_bytes, started), identity.device_id)
        raise
    return Received(records, body_bytes)


async def _ingest(request: Request, identity: Identity, stream: Stream) -> Response:
    started = time.perf_counter()
    clock = Clock.at()
    state = app_state(request)
    received = await receive_batch(request, identity, stream.name, started)
    records, body_bytes = received.records, received.body_bytes
    count = len(records)
    checked = validate_batch(stream, records, clock)
    rejected = len(checked.rejected)
    valid = count - rejected
    entry = log_entry(request, identity, stream.name, 200, count, rejected, body_bytes, started)
    async with state.db.connection() as conn:
        stored = await store_batch(conn, stream, identity.device_id, identity.emp_id, checked.rows,
                                   valid, entry)
    refusals = _refusals(stream, records, checked, stored.refused)
    accepted = stored.accepted
    duplicates = valid - accepted - len(refusals)
    rejections = sorted(checked.rejected + refusals, key=lambda r: int(r["index"])) if refusals else checked.rejected
    rejected += len(refusals)
    request.scope["state"].update(records=count, accepted=accepted, duplicates=duplicates, rejected=rejected)
    count_batch(stream.name, accepted, duplicates, rejected, time.perf_counter() - started)
    return json_response(200, {"accepted": accepted, "duplicates": duplicates, "rejected": rejections})


def _refusals(stream: Stream, records: list[Any], checked: Checked,
              refused: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Rows PostgreSQL refused, as ``rejected`` entries of the request's records (counted in metrics)."""
    out = []
    for position, reason in refused:
        index = checked.indexes[position]
        out.append({"index": index, "client_id": rejected_client_id(records[index]), "error": reason})
    if out:
        count_unstorable(stream.name, len(out))
    return out


Handler = Callable[[Request, Identity, Stream], Awaitable[Response]]


def batch_endpoint(stream: Stream, handler: Handler) -> Callable[[Request, Identity], Awaitable[Response]]:
    """The key-authenticated POST route of one stream (FastAPI names it ``ingest_<stream>``)."""
    async def endpoint(request: Request, identity: Authorized) -> Response:
        return await handler(request, identity, stream)

    endpoint.__name__ = f"ingest_{stream.name}"
    return endpoint


def records_body(model: str) -> dict[str, Any]:
    """The OpenAPI request body of a batch: ``{"records": [<model>, …]}``, at most 1,000 records."""
    schema = {
        "type": "object",
        "properties": {"records": {
            "type": "array", "maxItems": 1000,
            "items": {"$ref": f"#/components/schemas/{model}"},
        }},
        "required": ["records"],
        "additionalProperties": False,
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


for _name, _stream in STREAMS.items():
    router.add_api_route(
        f"/api/v1/ingest/{_name}", batch_endpoint(_stream, _ingest), methods=["POST"], response_model=IngestResult,
        responses=error_responses(400, 401, 403, 413, 415, 422, 429, 503),
        openapi_extra=records_body(RECORD_MODELS[_name].__name__), summary=f"Ingest a batch of {_name} records",
    )
