"""``POST /api/v1/screenshots``: one image plus its meta, idempotent by client_id (INGESTION_API.md §5.4)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ingestion.auth import Identity
from ingestion.body import content_encoding, media_type, parse_json, read_limited
from ingestion.context import AppState, ScreenshotAuthorized, app_state
from ingestion.db import AsyncConn
from ingestion.errors import ApiError, header_text, json_response, unavailable
from ingestion.ingest import LogEntry, log_request
from ingestion.multipart import meta_and_file, parse_parts
from ingestion.routes.ingest import log_client_error
from ingestion.schemas import ScreenshotResult, error_responses
from ingestion.screenshot_retention import FILE_LOCK, FILE_LOCK_SPACE
from ingestion.storage import magic_matches, relative_path, store_file
from ingestion.validation import SCREENSHOT_META, Clock, Reject, validate_record

log = logging.getLogger("ingestion.screenshots")
router = APIRouter()

_EXISTING = "SELECT sha256 FROM screenshots WHERE device_id = %s AND client_id = %s"
_INSERT = (
    "INSERT INTO screenshots (device_id, client_id, emp_id, captured_at, sha256, width, height, format,"
    " blurred, size_bytes, storage_path) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (device_id, client_id) DO NOTHING RETURNING 1"
)

_OPENAPI_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object",
    "properties": {
        "meta": {"type": "string", "description": "JSON text of a ScreenshotMeta object, at most 16 KiB"},
        "file": {"type": "string", "format": "binary", "description": "image bytes, 1 B to 10 MiB"},
    },
    "required": ["meta", "file"],
}}}}}


def _hex_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_meta(meta: Any, identity: Identity, clock: Clock) -> list[Any]:
    """Steps 7-8: ``emp_id`` must match the key (403), then the meta shape (422 invalid_meta)."""
    if type(meta) is dict and "emp_id" in meta:
        value = meta["emp_id"]
        if type(value) is not int or value != identity.emp_id:
            raise ApiError(403, "forbidden", "meta.emp_id does not match the API key")
    try:
        return validate_record(SCREENSHOT_META, meta, clock)
    except Reject as exc:
        detail = "meta: must be an object" if exc.field == "record" else exc.text()
        raise ApiError(422, "invalid_meta", detail) from None


async def _store(conn: AsyncConn, identity: Identity, values: list[Any], data: bytes, root: str, path: str,
                 entry: LogEntry) -> int:
    """Insert the row (201) or compare with the stored one (200 same digest / 409 another). Under the
    digest's lock, so retention cannot delete the file between the check that it is there (written
    again if retention just removed it) and the row's commit (screenshot_retention.py)."""
    client_id, captured_at, sha_hex, width, height, fmt, blurred = values
    digest = bytes.fromhex(sha_hex)
    async with conn.transaction():
        await conn.execute(FILE_LOCK, (FILE_LOCK_SPACE, sha_hex))
        await asyncio.to_thread(store_file, root, path, data)  # a stat when the file is there
        row = await (await conn.execute(_INSERT, (
            identity.device_id, client_id, identity.emp_id, captured_at, digest, width, height, fmt,
            blurred, len(data), path))).fetchone()
        if row is None:
            existing = await (await conn.execute(_EXISTING, (identity.device_id, client_id))).fetchone()
            if existing is None or bytes(existing[0]) != digest:
                raise ApiError(409, "conflict", "client_id already stored with another sha256")
            status = 200
        else:
            status = 201
        await log_request(conn, identity.device_id, replace(entry, http_status=status),
                          accepted=int(status == 201), duplicates=int(status == 200))
    return status


async def _exists(state: AppState, identity: Identity, client_id: str) -> bytes | None:
    async with state.db.connection() as conn:
        row = await (await conn.execute(_EXISTING, (identity.device_id, client_id))).fetchone()
    return bytes(row[0]) if row else None


@router.post("/api/v1/screenshots", status_code=201, response_model=ScreenshotResult,
             responses={200: {"model": ScreenshotResult}, **error_responses(400, 401, 403, 409, 413, 415, 422,
                                                                            429, 503)},
             openapi_extra=_OPENAPI_BODY)
async def upload_screenshot(request: Request, identity: ScreenshotAuthorized) -> Response:
    started = time.perf_counter()
    clock = Clock.at()
    state = app_state(request)
    settings = state.settings
    entry = LogEntry(identity.key_id, "screenshots", 0, 1, 0, 0, 0, request.scope["state"]["request_id"],
                     header_text(request.headers.get("user-agent")))
    try:
        if media_type(request) != "multipart/form-data" or content_encoding(request) not in ("", "identity"):
            raise ApiError(415, "unsupported_media_type", "Content-Type must be multipart/form-data")
        body = await read_limited(request, settings.max_screenshot_request_bytes)
        entry = replace(entry, body_bytes=len(body))
        parts = await asyncio.to_thread(parse_parts, request.headers["content-type"], body)
        meta_raw, data = meta_and_file(parts, settings.max_meta_bytes)
        values = _check_meta(parse_json(meta_raw), identity, clock)
        if len(data) > settings.max_screenshot_bytes:
            raise ApiError(413, "payload_too_large", f"file larger than {settings.max_screenshot_bytes} bytes")
        client_id, _, sha_hex, _, _, fmt, _ = values
        if await asyncio.to_thread(_hex_digest, data) != sha_hex:
            raise ApiError(422, "sha256_mismatch", "SHA-256 of the file differs from meta.sha256")
        if not magic_matches(data, fmt):
            raise ApiError(422, "invalid_meta", f"format: file is not {fmt}")
        stored = await _exists(state, identity, client_id)
        if stored is not None and stored != bytes.fromhex(sha_hex):
            raise ApiError(409, "conflict", "client_id already stored with another sha256")
        path = relative_path(sha_hex, fmt)
        try:
            if stored is None:  # written before taking a connection: an fsync of up to 10 MiB
                await asyncio.to_thread(store_file, settings.screenshot_dir, path, data)
            entry = replace(entry, duration_ms=int((time.perf_counter() - started) * 1000))
            async with state.db.connection() as conn:
                status = await _store(conn, identity, values, data, settings.screenshot_dir, path, entry)
        except OSError as exc:
            log.error("cannot store screenshot file: %s", exc)
            raise unavailable(5, "screenshot storage unavailable") from None
    except ApiError as exc:
        if 400 <= exc.status < 500:
            failed = replace(entry, http_status=exc.status, rejected=1,
                             duration_ms=int((time.perf_counter() - started) * 1000))
            await log_client_error(state, failed, identity.device_id)
        raise
    result = "created" if status == 201 else "duplicate"
    return json_response(status, {"result": result, "client_id": client_id, "sha256": sha_hex})
